"""The header menu: the site root's children ticked "show in menus", in one query."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Subquery
from wagtail.models import Page, PageViewRestriction, Site

from cms.models import LinkPage

STEPLEN = Page.steplen


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str


def menu_items(request) -> list[MenuItem]:
    """The menu of the request's site: its home page (if ticked) and the live, public
    children ticked "show in menus", in the page tree's order. A 菜单链接 page points
    at its address directly. One query once the site is known (Wagtail's page serving
    has already found it; elsewhere finding it is one more)."""
    site = Site.find_for_request(request)
    if site is None:
        return []
    root = site.root_page
    root_paths = [
        root.path[:end] for end in range(STEPLEN, len(root.path) + 1, STEPLEN)
    ]
    restricted = PageViewRestriction.objects.filter(
        Q(page_id=OuterRef("pk")) | Q(page__path__in=root_paths)
    )
    link = LinkPage.objects.filter(pk=OuterRef("pk")).values("link_url")[:1]
    children = (
        Page.objects.filter(
            path__startswith=root.path,
            depth=root.depth + 1,
            live=True,
            show_in_menus=True,
        )
        .exclude(Exists(restricted))
        .annotate(link_url=Subquery(link))
        .order_by("path")
        .values_list("title", "url_path", "link_url")
    )
    items = [MenuItem(root.title, "/")] if root.show_in_menus and root.live else []
    for title, url_path, link_url in children:
        items.append(MenuItem(title, link_url or "/" + url_path[len(root.url_path) :]))
    return items
