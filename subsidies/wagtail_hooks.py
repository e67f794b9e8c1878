from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from subsidies import analytics_views

# --- analytics: 补贴异常, 补贴统计 (bureaus and auditors) ------------------------------------

SUBSIDIES_MENU_HOOK = "register_subsidies_menu_item"


class AnalyticsMenuItem(MenuItem):
    def is_shown(self, request):
        return analytics_views.may_see_analytics(request.user)


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_anomalies_menu_item():
    return AnalyticsMenuItem(
        "补贴异常",
        reverse("subsidies_anomalies"),
        name="subsidies-anomalies",
        icon_name="warning",
        order=60,
    )


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_totals_menu_item():
    return AnalyticsMenuItem(
        "补贴统计",
        reverse("subsidies_totals"),
        name="subsidies-totals",
        icon_name="table",
        order=70,
    )


# Until the 培训补贴 group (a ViewSetGroup with submenu_hook = SUBSIDIES_MENU_HOOK) is
# merged, a plain submenu holds the items above; the coordinator drops this at merge.
@hooks.register("register_admin_menu_item")
def register_subsidies_submenu():
    return SubmenuMenuItem(
        "培训补贴",
        Menu(register_hook_name=SUBSIDIES_MENU_HOOK),
        name="subsidies",
        icon_name="folder-inverse",
        order=217,
    )


@hooks.register("register_admin_urls")
def register_analytics_urls():
    return [
        path(
            "subsidies/anomalies/",
            analytics_views.anomalies_view,
            name="subsidies_anomalies",
        ),
        path(
            "subsidies/anomalies/<slug:slug>.xlsx",
            analytics_views.anomalies_export_view,
            name="subsidies_anomalies_export",
        ),
        path("subsidies/totals/", analytics_views.totals_view, name="subsidies_totals"),
        path(
            "subsidies/totals.xlsx",
            analytics_views.totals_export_view,
            name="subsidies_totals_export",
        ),
    ]
