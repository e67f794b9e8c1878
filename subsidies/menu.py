"""The 培训补贴 menu of the back-office: one group every subsidy screen joins.

A viewset joins it by setting ``menu_hook = SUBSIDIES_MENU_HOOK`` (and
``add_to_admin_menu = True``, ``menu_order`` for its place) and registering itself with
``register_admin_viewset`` in ``subsidies/wagtail_hooks.py``; a plain menu item joins
it with ``@hooks.register(SUBSIDIES_MENU_HOOK)``. The group shows only when the user
may open one of its entries.
"""

from wagtail.admin.viewsets.base import ViewSetGroup

SUBSIDIES_MENU_HOOK = "register_subsidies_menu_item"


class SubsidiesGroup(ViewSetGroup):
    menu_label = "培训补贴"
    menu_name = "subsidies"
    menu_icon = "tasks"
    menu_order = 218
    submenu_hook = SUBSIDIES_MENU_HOOK
    items = ()
