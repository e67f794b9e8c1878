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
