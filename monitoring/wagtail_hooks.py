"""Registrations only: the screens live in monitoring/views.py (and their own modules)."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from monitoring import admin_urls


@hooks.register("register_admin_urls")
def register_monitoring_urls():
    return [path("monitoring/", include(admin_urls, namespace="monitoring"))]


# --- c13-dash ---
class DashboardMenuItem(MenuItem):
    """统计监测: bureaus and auditors only (``monitoring.policies``)."""

    def is_shown(self, request):
        from monitoring import policies

        return policies.may_view_dashboard(request.user)


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem(
        "统计监测",
        reverse("monitoring:dashboard"),
        name="monitoring-dashboard",
        icon_name="table",
        order=700,
    )


# --- end c13-dash ---
