"""Back-office screens for certificates (证书): the scoped list and the certificate page.

Certificates change only through ``certificates.services`` (issue, revoke, reissue):
the viewset offers no add, edit or delete form. The list shows the holder's masked ID
only; the certificate page is the auditor's view of the full record behind it.
"""

import django_filters
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import dateformat, timezone
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, Table, TitleColumn
from wagtail.admin.viewsets.model import ViewSetGroup

from certificates import selectors, services
from certificates.admin_views import certificate_page_context
from certificates.models import (
    Certificate,
    DisplayStatus,
    VerificationChannel,
    VerificationLog,
    VerificationOutcome,
    display_status_q,
)
from certificates.numbering import OTHER_NUMBER, SKILL_LEVEL_NUMBER
from training_platform.filters import RegionFilter
from training_platform.reference.models import CertificateKind
from training_platform.validators import normalize
from training_platform.viewsets import (
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    ScopedPermissionPolicy,
)


class ReadOnlyCertificatePolicy(ScopedPermissionPolicy):
    """View and inspect only: revocation and reissue have their own screens."""

    def user_has_permission(self, user, action):
        return action in ("view", "inspect") and super().user_has_permission(
            user, action
        )

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class CertificateFilterSet(WagtailFilterSet):
    number = django_filters.CharFilter(label="证书编号", method="filter_number")
    kind = django_filters.ChoiceFilter(
        label="证书类型", choices=CertificateKind.choices
    )
    status = django_filters.ChoiceFilter(
        label="状态", choices=DisplayStatus.choices, method="filter_status"
    )
    issued_on = django_filters.DateFromToRangeFilter(
        label="发证日期", widget=DateRangePickerWidget
    )
    occupation = django_filters.CharFilter(
        label="职业（工种）", method="filter_occupation", help_text="编码或名称"
    )
    class_code = django_filters.CharFilter(
        label="班级编号",
        field_name="enrolment__training_class__code",
        lookup_expr="iexact",
    )
    region = RegionFilter(label="发证地区", field_names=("region__code",))

    class Meta:
        model = Certificate
        fields = []

    def filter_number(self, queryset, name, value):
        value = "".join(value.split()).upper()
        return queryset.filter(number__startswith=value) if value else queryset

    def filter_status(self, queryset, name, value):
        return queryset.filter(display_status_q(value)) if value else queryset

    def filter_occupation(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(occupation__code__startswith=value) | Q(occupation_name__contains=value)
        )


class DisplayStatusColumn(Column):
    """有效 / 已过期 / 已撤销 / 已换发新证, read from the status and the dates."""

    def get_value(self, instance):
        return DisplayStatus(instance.display_status()).label


class CertificateIndexView(ScopedIndexView):
    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        if "display_status" in row:
            row["display_status"] = DisplayStatus(item.display_status()).label
        return row


class CertificateInspectView(ScopedInspectView):
    """证书详情: the certificate and the full record behind it (see admin_views)."""

    template_name = "certificates/admin/certificate_inspect.html"

    def get_object(self, queryset=None):
        self.kwargs.setdefault("pk", self.pk)
        pk = self._scoped_pk()
        if not pk.isdigit():
            raise Http404
        return selectors.certificate_for_staff(self.request.user, int(pk))

    def get_fields_context(self):
        return []  # the template lays the page out itself

    def get_page_subtitle(self):
        return self.object.number

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(certificate_page_context(self.request, self.object))
        return context


class CertificateViewSet(ScopedModelViewSet):
    model = Certificate
    icon = "doc-full-inverse"
    menu_label = "证书列表"
    menu_order = 10
    index_view_class = CertificateIndexView
    inspect_view_class = CertificateInspectView
    filterset_class = CertificateFilterSet
    search_fields = ["number", "holder_name"]
    list_display = [
        "number",
        "holder_name",
        "holder_id_masked",
        "kind",
        Column("occupation_name", label="职业（工种）"),
        "level",
        "issuer_name",
        "issued_on",
        DisplayStatusColumn("display_status", label="状态"),
    ]
    list_select_related = ["enrolment__training_class"]
    # Only the masked ID number leaves in a file.
    list_export = [
        "number",
        "kind",
        "occupation_id",
        "occupation_name",
        "level",
        "holder_name",
        "holder_id_masked",
        "issuer_name",
        "issued_on",
        "expires_on",
        "display_status",
        "basis",
        "enrolment.training_class.code",
    ]
    export_headings = {
        "occupation_id": "职业编码",
        "occupation_name": "职业（工种）",
        "display_status": "状态",
        "enrolment.training_class.code": "班级编号",
    }
    export_filename = "证书"
    form_fields = []  # no form: see ReadOnlyCertificatePolicy

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            permission_policy=ReadOnlyCertificatePolicy(Certificate), **kwargs
        )


class EvaluationMenuItem(MenuItem):
    """认定发证: for staff of an evaluation organisation."""

    def is_shown(self, request):
        return bool(services.evaluator_organisations(request.user))


def evaluation_menu_item():
    return EvaluationMenuItem(
        "认定发证",
        reverse("certificates_evaluate"),
        name="certificates-evaluate",
        icon_name="form",
        order=20,
    )


SIGNATURE_FILTER_CHOICES = [
    ("valid", "签名有效"),
    ("invalid", "签名无效"),
    ("none", "无签名"),
]
SIGNATURE_FILTER_VALUES = {"valid": True, "invalid": False, "none": None}


def log_number_q(value: str) -> Q | None:
    """Log rows about a certificate number: the whole number, or its start.

    A row belongs to a number through its certificate, or, for a query that found
    nothing, through the number that was asked. ``None`` when nothing was typed.
    """
    value = normalize(value)
    if not value:
        return None
    whole = SKILL_LEVEL_NUMBER.fullmatch(value) or OTHER_NUMBER.fullmatch(value)
    lookup = "" if whole else "__startswith"
    certificates = Certificate.objects.filter(**{f"number{lookup}": value})
    return Q(certificate_id__in=certificates.values("pk")) | Q(
        certificate__isnull=True,
        channel=VerificationChannel.QUERY,
        **{f"asked{lookup}": value},
    )


class VerificationLogFilterSet(WagtailFilterSet):
    number = django_filters.CharFilter(
        label="证书编号", method="filter_number", help_text="完整编号或编号的开头"
    )
    at = django_filters.DateFromToRangeFilter(
        label="核验日期", widget=DateRangePickerWidget
    )
    outcome = django_filters.ChoiceFilter(
        label="核验结果", choices=VerificationOutcome.choices
    )
    signature = django_filters.ChoiceFilter(
        label="二维码签名", choices=SIGNATURE_FILTER_CHOICES, method="filter_signature"
    )
    channel = django_filters.ChoiceFilter(
        label="核验方式", choices=VerificationChannel.choices
    )
    client_ip = django_filters.CharFilter(label="客户端", lookup_expr="startswith")

    class Meta:
        model = VerificationLog
        fields = []

    def filter_number(self, queryset, name, value):
        query = log_number_q(value)
        return queryset if query is None else queryset.filter(query)

    def filter_signature(self, queryset, name, value):
        if value not in SIGNATURE_FILTER_VALUES:
            return queryset
        verdict = SIGNATURE_FILTER_VALUES[value]
        if verdict is None:
            return queryset.filter(signature__isnull=True)
        return queryset.filter(signature=verdict)


class VerificationLogTable(Table):
    """Each row names its log entry (data-log), for tests and for the eye."""

    def get_row_attrs(self, instance):
        attrs = super().get_row_attrs(instance)
        attrs["data-log"] = instance.pk
        return attrs


def _log_time(log) -> str:
    return dateformat.format(timezone.localtime(log.at), "Y-m-d H:i:s")


class DashColumn(Column):
    empty_value_display = "—"

    def get_value(self, instance):
        value = super().get_value(instance)
        return "" if value is None else value


class CertificateNumberColumn(DashColumn, TitleColumn):
    """The certificate's number, linked to its back-office page (— when none)."""


def _log_certificate_number(log) -> str:
    return log.certificate.number if log.certificate_id else ""


def _log_certificate_url(log) -> str | None:
    return (
        reverse("certificate:inspect", args=[log.certificate_id])
        if log.certificate_id
        else None
    )


class VerificationLogIndexView(ScopedIndexView):
    """核验记录 for auditors: searched by certificate number, verdicts in words."""

    results_template_name = "certificates/admin/verification_log_results.html"
    table_class = VerificationLogTable

    def get_search_form(self):
        if not self.is_searchable:
            return None
        data = self.request.GET if self.search_kwarg in self.request.GET else None
        return SearchForm(data, placeholder="证书编号（完整或开头）或核验码")

    def search_queryset(self, queryset):
        """The search box: a certificate number (or its start), or a token."""
        if not self.is_searching:
            return queryset
        typed = self.search_query.strip()
        by_token = Q(
            certificate_id__in=Certificate.objects.filter(token=typed).values("pk")
        )
        query = log_number_q(typed)
        return queryset.filter(by_token if query is None else query | by_token)


class VerificationLogViewSet(ScopedModelViewSet):
    """核验记录: every public verification, for auditors (read-only)."""

    model = VerificationLog
    icon = "history"
    menu_label = "核验记录"
    menu_order = 30
    index_view_class = VerificationLogIndexView
    filterset_class = VerificationLogFilterSet
    search_fields = ["asked"]  # the search itself: VerificationLogIndexView
    inspect_view_enabled = False
    list_display = [
        Column("at", label="时间", accessor=_log_time),
        CertificateNumberColumn(
            "certificate",
            label="证书编号",
            accessor=_log_certificate_number,
            get_url=_log_certificate_url,
        ),
        Column("holder", label="持证人", accessor="holder_masked"),
        Column("outcome", label="核验结果", accessor="get_outcome_display"),
        Column("signature", label="二维码签名", accessor="signature_label"),
        Column("channel", label="核验方式", accessor="get_channel_display"),
        Column("asked", label="查询内容"),
        DashColumn("client_ip", label="客户端"),
    ]
    list_select_related = ["certificate"]
    # Names leave masked, as the list shows them.
    list_export = [
        "at",
        "certificate.number",
        "holder_masked",
        "outcome",
        "signature_label",
        "channel",
        "asked",
        "client_ip",
    ]
    export_headings = {
        "at": "时间",
        "certificate.number": "证书编号",
        "holder_masked": "持证人",
        "outcome": "核验结果",
        "signature_label": "二维码签名",
        "channel": "核验方式",
        "asked": "查询内容",
        "client_ip": "客户端",
    }
    export_filename = "核验记录"
    form_fields = []

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            permission_policy=ReadOnlyCertificatePolicy(VerificationLog), **kwargs
        )


class CertificatesGroup(ViewSetGroup):
    menu_label = "证书"
    menu_icon = "doc-full-inverse"
    menu_order = 216
    items = (CertificateViewSet, VerificationLogViewSet)
    # Other screens of this app add themselves to the submenu.
    submenu_hook = "register_certificates_menu_item"
