"""Registrations only: the monitoring screens live in their own modules."""

# --- c13-rep ---
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from monitoring import policies_reported, reported_urls


class ReportedFiguresMenuItem(MenuItem):
    """统计报送: bureaus (enter, approve) and auditors (read) of a region."""

    def is_shown(self, request):
        return policies_reported.may_read(request.user)


@hooks.register("register_admin_urls")
def register_reported_urls():
    return [path("monitoring/reported/", include(reported_urls))]


@hooks.register("register_admin_menu_item")
def register_reported_menu_item():
    return ReportedFiguresMenuItem(
        "统计报送",
        reverse("monitoring_reported:list"),
        name="monitoring-reported",
        icon_name="form",
        order=950,
    )


# --- end c13-rep ---
