from django import template

from cms.menus import menu_items

register = template.Library()


@register.inclusion_tag("cms/includes/site_menu.html", takes_context=True)
def site_menu(context):
    request = context.get("request")
    path = request.path if request else ""
    items = menu_items(request) if request else []
    # The deepest item containing this address is the current one.
    current = max(
        (
            item.url
            for item in items
            if path == item.url or (item.url != "/" and path.startswith(item.url))
        ),
        key=len,
        default=None,
    )
    return {"items": items, "current": current}


DESCRIPTION_LENGTH = 120
IMAGE_FIELDS = ("og_image", "listing_image", "image", "cover_image", "feed_image")


def page_description(page) -> str:
    """What a shared link says about the page: its search description, else its
    summary or introduction as plain text, shortened."""
    from django.utils.html import strip_tags
    from django.utils.text import Truncator

    text = page.search_description or ""
    if not text:
        for name in ("summary", "intro", "subheading"):
            value = getattr(page, name, "")
            if isinstance(value, str) and value.strip():
                text = value
                break
    text = " ".join(strip_tags(text).split())
    return Truncator(text).chars(DESCRIPTION_LENGTH)


def page_image_url(page, request) -> str:
    """The absolute address of a 1200×630 rendition of the page's image, if it has one."""
    from wagtail.images.models import AbstractImage

    for name in IMAGE_FIELDS:
        image = getattr(page, name, None)
        if isinstance(image, AbstractImage):
            try:
                url = image.get_rendition("fill-1200x630").url
            except Exception:  # a missing file must not break the page
                return ""
            return request.build_absolute_uri(url) if request else url
    return ""


@register.inclusion_tag("cms/includes/seo_meta.html", takes_context=True)
def seo_meta(context):
    """Description, canonical address and Open Graph tags of the page shown (or of a
    view outside the page tree, from its address)."""
    request = context.get("request")
    page = context.get("page")
    if page is not None and hasattr(page, "get_full_url"):
        url = page.get_full_url(request)
        title = page.seo_title or page.title
        description = page_description(page)
        image = page_image_url(page, request)
        kind = (
            "article"
            if page.specific_class._meta.model_name == "newspage"
            else "website"
        )
    else:
        url = request.build_absolute_uri(request.path) if request else ""
        title = context.get("seo_title") or ""
        description = context.get("seo_description") or ""
        image = ""
        kind = "website"
    return {
        "url": url,
        "title": title,
        "description": description,
        "image": image,
        "kind": kind,
    }


@register.inclusion_tag("cms/includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context):
    """The trail from the home page to the page shown, for pages below the home page
    (one query for the ancestors); ``breadcrumb_tail`` in the context names what a
    route below the page shows."""
    page = context.get("page")
    request = context.get("request")
    if page is None or not hasattr(page, "get_ancestors") or page.depth <= 2:
        return {"trail": []}
    ancestors = page.get_ancestors().filter(depth__gte=2)
    trail = [(a.title, a.get_url(request)) for a in ancestors]
    tail = context.get("breadcrumb_tail")
    if tail:  # a route below the page (a base's detail under /bases/)
        return {"trail": [*trail, (page.title, page.get_url(request))], "current": tail}
    return {"trail": trail, "current": page.title}
