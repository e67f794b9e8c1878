"""Building news pages and images for the news and moderation tests."""

import datetime as dt
import io
import uuid

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images import get_image_model

from cms.models import NewsCategory, NewsIndexPage, NewsPage
from cms.slugs import pinyin_slug


def png_bytes(colour=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 36), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_image(description="学员在实训车间进行焊接操作", title=None):
    title = title or f"图片 {uuid.uuid4().hex[:6]}"
    image = get_image_model()(title=title, description=description)
    image.file = ImageFile(io.BytesIO(png_bytes()), name=f"{uuid.uuid4().hex[:8]}.png")
    image.save()
    return image


def news_index() -> NewsIndexPage:
    return NewsIndexPage.objects.get()


def paragraph(text):
    return {"type": "paragraph", "value": f"<p>{text}</p>", "id": str(uuid.uuid4())}


def add_news(
    title,
    *,
    category=NewsCategory.TRAINING,
    tags=(),
    days_ago=0,
    image=None,
    body=None,
    live=True,
    summary="摘要",
):
    page = NewsPage(
        title=title,
        slug=pinyin_slug(title),
        date=timezone.localdate() - dt.timedelta(days=days_ago),
        category=category,
        summary=summary,
        listing_image=image,
        body=body if body is not None else [paragraph(f"{title}的正文。")],
        live=live,
    )
    if tags:
        page.tags.add(*tags)
    news_index().add_child(instance=page)
    if live:
        page.save_revision().publish()
    else:
        page.save_revision()
    return page
