"""StreamField blocks of the public site: what a news office puts in a page."""

import re

from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from certificates.selectors import (
    certificate_by_number,
    certificate_by_token,
    public_view,
)

# "/verify/", "/verify/<token>/", "https://…" — an address on this site or elsewhere.
LINK = re.compile(r"^(/[^\s]*|https?://[^\s]+)$")


def certificate_for(reference: str):
    """The certificate a verification link, token or certificate number names."""
    reference = (reference or "").strip()
    match = re.search(r"/verify/([^/?#\s]+)/?", reference)
    token = match.group(1) if match else reference
    return certificate_by_token(token) or certificate_by_number(reference)


class LinkBlock(blocks.StructBlock):
    """A link to a page of the site (chosen, so it follows moves) or to an address."""

    page = blocks.PageChooserBlock(label="站内页面", required=False)
    url = blocks.CharBlock(
        label="或链接地址",
        required=False,
        help_text="不是页面的地址，如 /verify/（证书查询）；站外地址以 https:// 开头。",
    )

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        if bool(value.get("page")) == bool(value.get("url")):
            errors["url"] = ErrorList(
                ["请选择一个站内页面，或填写一个链接地址（二选一）。"]
            )
        elif value.get("url") and not LINK.match(value["url"]):
            errors["url"] = ErrorList(["链接地址以 / 或 https:// 开头，不含空格。"])
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value


class CardBlock(LinkBlock):
    title = blocks.CharBlock(label="标题", max_length=20)
    text = blocks.CharBlock(label="说明", max_length=80, required=False)

    class Meta:
        label = "入口卡片"
        icon = "link"
        template = "cms/blocks/card.html"
        form_layout = ["title", "text", "page", "url"]


class CardsBlock(blocks.StreamBlock):
    card = CardBlock()


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label="图片")
    caption = blocks.CharBlock(label="图片说明", required=False)

    class Meta:
        label = "图片"
        icon = "image"
        template = "cms/blocks/image.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label="文件")
    label = blocks.CharBlock(
        label="链接文字", required=False, help_text="留空则用文件标题。"
    )

    class Meta:
        label = "文件下载"
        icon = "doc-full"
        template = "cms/blocks/document.html"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label="引文")
    source = blocks.CharBlock(label="出处", required=False)

    class Meta:
        label = "引用"
        icon = "openquote"
        template = "cms/blocks/quote.html"


class VerificationBlock(blocks.StructBlock):
    """The public status box of one certificate, as the verification page shows it."""

    reference = blocks.CharBlock(
        label="证书编号或核验链接",
        help_text="填写证书编号，或证书上二维码的核验链接（…/verify/…）；页面显示该证书的当前状态，持证人信息按公开核验的方式遮蔽。",
    )

    class Meta:
        label = "证书核验结果"
        icon = "success"
        template = "cms/blocks/verification.html"

    def clean(self, value):
        value = super().clean(value)
        if certificate_for(value["reference"]) is None:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "reference": ErrorList(["未找到该证书，请核对证书编号或核验链接。"])
                }
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        certificate = certificate_for(value["reference"])
        context["view"] = public_view(certificate) if certificate else None
        return context


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label="标题", form_classname="title", template="cms/blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(label="段落")
    image = ImageBlock()
    document = DocumentBlock()
    table = TableBlock(
        label="表格",
        template="cms/blocks/table.html",
        table_options={
            "contextMenu": [
                "row_above",
                "row_below",
                "col_left",
                "col_right",
                "remove_row",
                "remove_col",
                "undo",
                "redo",
            ]
        },
    )
    quote = QuoteBlock()
    verification = VerificationBlock()

    class Meta:
        label = "正文"


# --- c12-news ---
class NewsImageBlock(blocks.StructBlock):
    """A picture in a news item: its alt text is required (the image's own description
    is used when the editor leaves the field empty; one of the two must say something)."""

    image = ImageChooserBlock(label="图片")
    alt = blocks.CharBlock(
        label="替代文字",
        required=False,
        max_length=255,
        help_text="向看不到图片的读者说明图片内容；留空则用图片的“描述”。",
    )
    caption = blocks.CharBlock(label="图片说明", required=False)

    class Meta:
        label = "图片"
        icon = "image"
        template = "cms/blocks/news_image.html"

    def clean(self, value):
        value = super().clean(value)
        image = value.get("image")
        alt = (value.get("alt") or "").strip()
        if image is not None and not alt and not (image.description or "").strip():
            raise blocks.StructBlockValidationError(
                block_errors={
                    "alt": ErrorList(
                        ["请填写替代文字，说明图片的内容（图片本身也没有描述）。"]
                    )
                }
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        image = value.get("image")
        context["alt"] = (value.get("alt") or "").strip() or (
            image.description if image else ""
        )
        return context


class NewsBodyBlock(blocks.StreamBlock):
    """A news item's body: headings, paragraphs, images with alt text, documents,
    tables and quotes."""

    heading = blocks.CharBlock(
        label="标题", form_classname="title", template="cms/blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(label="段落")
    image = NewsImageBlock()
    document = DocumentBlock()
    table = TableBlock(
        label="表格",
        template="cms/blocks/table.html",
        table_options={
            "contextMenu": [
                "row_above",
                "row_below",
                "col_left",
                "col_right",
                "remove_row",
                "remove_col",
                "undo",
                "redo",
            ]
        },
    )
    quote = QuoteBlock()

    class Meta:
        label = "正文"


# --- end c12-news ---
