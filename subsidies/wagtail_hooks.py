"""Registrations only: the 培训补贴 menu group and the subsidies admin screens."""

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

# --- the 培训补贴 group (other screens of this app add items through the hook) ---------

SUBSIDIES_MENU_HOOK = "register_subsidies_menu_item"


class SubsidiesMenuItem(SubmenuMenuItem):
    def is_shown(self, request):
        return bool(self.menu.menu_items_for_request(request))


@hooks.register("register_admin_menu_item")
def register_subsidies_menu():
    return SubsidiesMenuItem(
        "培训补贴",
        Menu(register_hook_name=SUBSIDIES_MENU_HOOK),
        name="subsidies",
        icon_name="tasks",
        order=218,
    )


# --- 拨付批次 (subsidies/batch_views.py) -------------------------------------------------


class BatchMenuItem(MenuItem):
    """拨付批次: bureaus and auditors."""

    def is_shown(self, request):
        from subsidies.batch_views import is_batch_reader

        return is_batch_reader(request.user)


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_batch_menu_item():
    return BatchMenuItem(
        "拨付批次",
        reverse("subsidies_batches"),
        name="subsidies-batches",
        icon_name="list-ul",
        order=40,
    )


@hooks.register("register_admin_urls")
def register_batch_urls():
    from subsidies.batch_views import batch_urls

    return batch_urls()
