"""An index page under the home page, made and unmade by a data migration.

Migrations cannot call ``Page.add_child`` (historical models have no treebeard methods),
so the page goes in with treebeard's materialised path by hand: four base-36 characters
per level, the next free step after the home page's last child (as 0004 and 0006 do).
The module name starts with ``_``: Django's migration loader skips it.
"""

from django.utils import timezone

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4


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


def _recount(Page, parent_path: str, depth: int) -> None:
    Page.objects.filter(path=parent_path).update(
        numchild=Page.objects.filter(
            path__startswith=parent_path, depth=depth
        ).count()
    )


def add_index_page(apps, *, model_name: str, slug: str, title: str, intro: str):
    """Put ``model_name`` at /<slug>/ under the home page, live and in the menu, unless
    the tree already has one of that type or an editor's page holds the address."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    model = apps.get_model("cms", model_name)
    home = apps.get_model("cms.HomePage").objects.order_by("path").first()
    if home is None or model.objects.exists():
        return
    children = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1)
    if children.filter(slug=slug).exists():
        return  # an editor's page already holds the address; leave it alone
    last = children.order_by("-path").values_list("path", flat=True).first()
    step = _next_step(last[-STEPLEN:]) if last else "0001"
    content_type, _ = ContentType.objects.get_or_create(
        app_label="cms", model=model_name
    )
    now = timezone.now()
    model.objects.create(
        title=title,
        draft_title=title,
        slug=slug,
        content_type=content_type,
        path=home.path + step,
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{slug}/",
        locale_id=home.locale_id,
        intro=intro,
        show_in_menus=True,
        live=True,
        first_published_at=now,
        last_published_at=now,
    )
    _recount(Page, home.path, home.depth + 1)


def remove_index_page(apps, *, model_name: str, slug: str):
    """Undo ``add_index_page`` (the page and everything below it)."""
    Page = apps.get_model("wagtailcore.Page")
    page = apps.get_model("cms", model_name).objects.filter(slug=slug).first()
    if page is None:
        return
    Page.objects.filter(path__startswith=page.path).delete()
    _recount(Page, page.path[:-STEPLEN], page.depth)
