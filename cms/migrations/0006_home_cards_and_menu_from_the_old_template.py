"""Move what home_page.html and base.html hard-coded into editable content.

The home page gets the entry cards that lead somewhere today (找培训 → the catalogue
page, 查证书 → /verify/); the header menu becomes the pages ticked "show in menus":
the home page, the catalogue and a 菜单链接 page for 证书查询 (/verify/ is not a page).
The old links to /competitions/, /bases/ and /news/ led to 404 pages and are not
carried over; editors add them back once those pages exist.
"""

import json
import uuid

from django.db import migrations
from django.utils import timezone

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
LINK_SLUG = "zheng-shu-cha-xun"


def _next_step(step: str) -> str:
    number = 0
    for char in step:
        number = number * len(ALPHABET) + ALPHABET.index(char)
    number += 1
    digits = ""
    for _ in range(STEPLEN):
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits


def _card(title, text, *, page=None, url=""):
    return {
        "type": "card",
        "value": {"title": title, "text": text, "page": page, "url": url},
        "id": str(uuid.uuid4()),
    }


def _patch_latest_revision(apps, page, values: dict) -> None:
    """The editor opens the latest revision: give it the same values, or publishing
    it would undo this migration."""
    if not page.latest_revision_id:
        return
    Revision = apps.get_model("wagtailcore.Revision")
    revision = Revision.objects.filter(pk=page.latest_revision_id).first()
    if revision is None or not isinstance(revision.content, dict):
        return
    revision.content.update(values)
    revision.save(update_fields=["content"])


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    CourseIndexPage = apps.get_model("cms.CourseIndexPage")
    LinkPage = apps.get_model("cms.LinkPage")

    home = HomePage.objects.order_by("path").first()
    if home is None:
        return
    catalogue = CourseIndexPage.objects.filter(path__startswith=home.path).first()

    cards = []
    if catalogue is not None:
        cards.append(
            _card(
                "找培训",
                "按职业、地区、等级筛选开班信息，在线报名。",
                page=catalogue.pk,
            )
        )
    cards.append(
        _card("查证书", "扫码或输入证书编号，核验证书真伪与状态。", url="/verify/")
    )
    if not home.cards:
        home.cards = cards
        home.show_in_menus = True
        home.save(update_fields=["cards", "show_in_menus"])
        _patch_latest_revision(
            apps,
            home,
            {
                "cards": json.dumps(cards),
                "heading": home.heading,
                "subheading": home.subheading,
                "show_in_menus": True,
            },
        )
    if catalogue is not None and not catalogue.show_in_menus:
        Page.objects.filter(pk=catalogue.pk).update(show_in_menus=True)
        _patch_latest_revision(apps, catalogue, {"show_in_menus": True})

    children = Page.objects.filter(
        path__startswith=home.path, depth=home.depth + 1
    ).order_by("-path")
    if LinkPage.objects.exists() or children.filter(slug=LINK_SLUG).exists():
        return
    count = children.count()
    last = children.values_list("path", flat=True).first()
    step = _next_step(last[-STEPLEN:]) if last else "0001"
    content_type, _ = ContentType.objects.get_or_create(
        app_label="cms", model="linkpage"
    )
    now = timezone.now()
    LinkPage.objects.create(
        title="证书查询",
        draft_title="证书查询",
        slug=LINK_SLUG,
        content_type=content_type,
        path=home.path + step,
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{LINK_SLUG}/",
        locale_id=home.locale_id,
        link_url="/verify/",
        show_in_menus=True,
        live=True,
        first_published_at=now,
        last_published_at=now,
    )
    Page.objects.filter(pk=home.pk).update(numchild=count + 1)


def backwards(apps, schema_editor):
    Page = apps.get_model("wagtailcore.Page")
    for link in apps.get_model("cms.LinkPage").objects.filter(slug=LINK_SLUG):
        parent_path = link.path[:-STEPLEN]
        Page.objects.filter(pk=link.pk).delete()
        Page.objects.filter(path=parent_path).update(
            numchild=Page.objects.filter(
                path__startswith=parent_path, depth=link.depth
            ).count()
        )


class Migration(migrations.Migration):
    dependencies = [("cms", "0005_editable_home_link_pages_news_blocks")]

    operations = [migrations.RunPython(forwards, backwards)]
