from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from training_platform import home
from training_platform.accounts import views

# The back-office home per role and the menu without Wagtail's help (training_platform/home.py).
hooks.register("construct_homepage_panels", home.construct_homepage_panels)
hooks.register("construct_main_menu", home.construct_main_menu)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("login-lockouts/", views.lockouts, name="account_lockouts")]


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_settings_menu_item")
def register_lockouts_menu_item():
    return SuperuserMenuItem(
        "登录锁定", reverse("account_lockouts"), icon_name="lock", order=900
    )
