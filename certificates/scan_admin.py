"""核查记录 in the back office: the auditors' saved spot-check sessions (list and page).

Read-only: sessions are made by the scanner (``certificates.scan.scan_save``). Rows and
items are narrowed by ``access`` (``certificates.scan_policies``, the verification log's
rule); the menu item sits under 证书 for those whose role may view them.
"""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import dateformat, timezone
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, TitleColumn

from certificates.scan_models import SpotCheck, SpotCheckItem, SpotCheckVerdict
from certificates.viewsets import ReadOnlyCertificatePolicy
from training_platform import access
from training_platform.display import person_name
from training_platform.viewsets import (
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
)


def _time(value) -> str:
    return dateformat.format(timezone.localtime(value), "Y-m-d H:i")


class SpotCheckIndexView(ScopedIndexView):
    results_template_name = "certificates/scan_admin_results.html"

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("checked_by")
            .annotate(
                item_count=Count("items"),
                failed_count=Count(
                    "items", filter=~Q(items__verdict=SpotCheckVerdict.GENUINE)
                ),
            )
        )


class SpotCheckInspectView(ScopedInspectView):
    template_name = "certificates/scan_admin_inspect.html"

    def get_fields_context(self):
        return []  # the template lays the page out itself

    def get_page_subtitle(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        mine = SpotCheckItem.objects.filter(spot_check=self.object)
        items = list(
            access.visible(user, mine)
            .select_related("certificate")
            .order_by("scanned_at", "id")
        )
        total = mine.count()
        context.update(
            spot_check=self.object,
            checked_by=person_name(self.object.checked_by),
            items=items,
            hidden_count=total - len(items),
        )
        return context


class SpotCheckViewSet(ScopedModelViewSet):
    """核查记录: saved spot-check sessions (read-only)."""

    model = SpotCheck
    icon = "tasks"
    menu_label = "核查记录"
    add_to_admin_menu = False
    url_prefix = "certificates/spot-checks"
    index_view_class = SpotCheckIndexView
    inspect_view_class = SpotCheckInspectView
    list_filter = []
    search_fields = None
    list_display = [
        TitleColumn(
            "started_at",
            label="核查时间",
            accessor=lambda s: _time(s.started_at),
            get_url=lambda s: reverse("spotcheck:inspect", args=[s.pk]),
        ),
        Column(
            "checked_by", label="核查人", accessor=lambda s: person_name(s.checked_by)
        ),
        Column("place", label="核查地点"),
        Column("item_count", label="扫码条数"),
        Column("failed_count", label="签名未通过"),
        Column("saved_at", label="保存时间", accessor=lambda s: _time(s.saved_at)),
    ]
    form_fields = []

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            permission_policy=ReadOnlyCertificatePolicy(SpotCheck), **kwargs
        )


spot_check_viewset = SpotCheckViewSet("spotcheck")


class SpotCheckMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("certificates.view_spotcheck")


@hooks.register("register_admin_viewset")
def register_spot_check_viewset():
    return spot_check_viewset


@hooks.register("register_certificates_menu_item")
def register_spot_check_menu_item():
    return SpotCheckMenuItem(
        "核查记录（扫码抽查）",
        reverse("spotcheck:index"),
        name="certificates-spot-checks",
        icon_name="tasks",
        order=35,
    )
