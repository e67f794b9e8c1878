"""The header menu: the site root and its children ticked "show in menus", one query."""

from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Length, Substr
from django.db.models.lookups import StartsWith
from wagtail.models import Page, PageViewRestriction, Site

from cms.models import LinkPage

STEPLEN = Page.steplen


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str


def menu_items(request) -> list[MenuItem]:
    """The menu of the request's site: its home page and the home page's children,
    those ticked "show in menus", live and public, in the page tree's order. A 菜单链接
    page points at its address directly.

    One query: with the site Wagtail's page serving has already found, or, on the
    other views, with the default site looked up inside the same query."""
    site = getattr(request, "_wagtail_site", None)
    if site is not None:
        root_path = site.root_page.path
    else:
        root_path = Subquery(
            Site.objects.filter(is_default_site=True).values("root_page__path")[:1]
        )
    # A restriction on the page or on any page above it makes it private.
    restricted = PageViewRestriction.objects.filter(
        StartsWith(
            ExpressionWrapper(OuterRef("path"), output_field=CharField()),
            F("page__path"),
        )
    )
    link = LinkPage.objects.filter(pk=OuterRef("pk")).values("link_url")[:1]
    rows = (
        Page.objects.annotate(
            parent_path=Substr("path", 1, Length("path") - STEPLEN),
            is_root=ExpressionWrapper(Q(path=root_path), output_field=BooleanField()),
            link_url=Subquery(link),
        )
        .filter(
            Q(path=root_path) | Q(parent_path=root_path),
            live=True,
            show_in_menus=True,
        )
        .exclude(Exists(restricted))
        .order_by("path")
        .values_list("is_root", "title", "slug", "link_url")
    )
    return [
        MenuItem(title, "/" if is_root else link_url or f"/{slug}/")
        for is_root, title, slug, link_url in rows
    ]
