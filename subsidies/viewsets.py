"""Back-office screens of the subsidies app (培训补贴 menu, see subsidies/menu.py).

补贴标准: every bureau and auditor reads the standards; only the province bureau (and
administrators) add and edit them, through ``subsidies.standards.standard_save`` (which
refuses a standard overlapping another). A standard is never deleted: claims rest on
it; one that no longer applies is ended (失效日期) or switched off (启用).
"""

import django_filters
from django.db.models import Count
from django.utils.html import format_html_join
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import AdminDateInput

from courses.templatetags.money import yuan
from subsidies import policies
from subsidies.forms import SubsidyStandardForm
from subsidies.menu import SUBSIDIES_MENU_HOOK
from subsidies.models import PayeeKind, SubsidyKind, SubsidyStandard
from subsidies.standards import standard_save
from training_platform.display import EMPTY
from training_platform.reference.models import (
    CertificateKind,
    Region,
    RegionLevel,
    SkillLevel,
)
from training_platform.viewsets import (
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    ScopedPermissionPolicy,
    ServiceErrorsMixin,
)

# --- 补贴标准 -----------------------------------------------------------------------------


def money(amount) -> str:
    """1500 → "1,500.00 元" (— for nothing)."""
    shown = yuan(amount)
    return shown if shown == EMPTY else f"{shown} 元"


def standard_period(standard) -> str:
    end = standard.valid_to.isoformat() if standard.valid_to else "长期有效"
    return f"{standard.valid_from.isoformat()} 至 {end}"


def standard_level(standard) -> str:
    return standard.get_level_display() if standard.level else "不分等级"


def standard_scope(standard) -> str:
    """适用职业: 不限 or N 个职业 (the list counts them in its query)."""
    count = getattr(standard, "occupation_count", None)
    if count is None:
        count = standard.occupations.count()
    return f"{count} 个职业" if count else "不限职业"


class StandardPermissionPolicy(ScopedPermissionPolicy):
    """Every bureau and auditor looks; only the province bureau adds and edits; no one
    deletes (claims rest on standards)."""

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        if action not in ("view", "inspect") and not policies.is_province_bureau(user):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


def _standard_regions():
    return Region.objects.filter(
        level__in=(RegionLevel.PROVINCE, RegionLevel.PREFECTURE)
    ).order_by("code")


class StandardFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(label="补贴类型", choices=SubsidyKind.choices)
    payee = django_filters.ChoiceFilter(label="补贴对象", choices=PayeeKind.choices)
    certificate_kind = django_filters.ChoiceFilter(
        label="证书类型", choices=CertificateKind.choices
    )
    level = django_filters.ChoiceFilter(
        label="等级",
        choices=[("-", "不分等级"), *SkillLevel.choices],
        method="filter_level",
    )
    region = django_filters.ModelChoiceFilter(
        label="适用地区", queryset=_standard_regions()
    )
    valid_on = django_filters.DateFilter(
        label="在此日期有效", method="filter_valid_on", widget=AdminDateInput
    )
    is_active = django_filters.BooleanFilter(label="启用")

    class Meta:
        model = SubsidyStandard
        fields = []

    def filter_level(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(level="" if value == "-" else value)

    def filter_valid_on(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(valid_from__lte=value).exclude(valid_to__lt=value)


class StandardIndexView(ScopedIndexView):
    results_template_name = "subsidies/admin/standard_results.html"

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(occupation_count=Count("occupations", distinct=True))
        )

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        for field, shown in (
            ("level", standard_level(item)),
            ("amount", money(item.amount)),
            ("valid_to", item.valid_to.isoformat() if item.valid_to else "长期有效"),
            ("occupation_count", standard_scope(item)),
        ):
            if field in row:
                row[field] = shown
        return row


class StandardFormMixin(ServiceErrorsMixin):
    """The form saves through ``standard_save``; an overlap shows at the form's top."""

    def get_form_class(self):
        return SubsidyStandardForm

    def save_instance(self):
        form = self.form
        return standard_save(
            standard=form.save(commit=False),
            occupations=form.cleaned_data["occupation_codes"],
            key_groups=form.cleaned_data["key_groups"],
            actor=self.request.user,
            request=self.request,
        )


class StandardCreateView(StandardFormMixin, ScopedCreateView):
    pass


class StandardEditView(StandardFormMixin, ScopedEditView):
    pass


class StandardInspectView(ScopedInspectView):
    def get_amount_display_value(self):
        return money(self.object.amount)

    def get_level_display_value(self):
        return standard_level(self.object)

    def get_region_display_value(self):
        return f"{self.object.region_id} {self.object.region.name}"

    def get_valid_to_display_value(self):
        return self.object.valid_to.isoformat() if self.object.valid_to else "长期有效"

    def get_attendance_threshold_display_value(self):
        return f"{self.object.attendance_threshold:g}%"

    def get_occupations_display_value(self):
        rows = self.object.occupations.order_by("code").values_list("code", "name")
        if not rows:
            return "不限职业"
        return format_html_join("、", "<code>{}</code> {}", rows)

    def get_key_groups_display_value(self):
        names = list(self.object.key_groups.values_list("name", flat=True))
        return "、".join(names) if names else "不限群体"


class SubsidyStandardViewSet(ScopedModelViewSet):
    model = SubsidyStandard
    icon = "doc-full"
    menu_label = "补贴标准"
    menu_name = "subsidy-standards"
    menu_order = 90
    add_to_admin_menu = True
    menu_hook = SUBSIDIES_MENU_HOOK
    url_prefix = "subsidies/standards"
    url_namespace = "subsidystandard"
    index_view_class = StandardIndexView
    add_view_class = StandardCreateView
    edit_view_class = StandardEditView
    inspect_view_class = StandardInspectView
    filterset_class = StandardFilterSet
    search_fields = ["name"]
    search_backend_name = None
    list_per_page = 50
    list_display = [
        "name",
        Column("kind", label="补贴类型", accessor="get_kind_display"),
        Column("payee", label="补贴对象", accessor="get_payee_display"),
        Column(
            "certificate_kind",
            label="证书类型",
            accessor="get_certificate_kind_display",
        ),
        Column("level", label="等级", accessor=standard_level),
        Column("amount", label="补贴金额", accessor=lambda s: money(s.amount)),
        Column("region", label="适用地区", accessor="region.name"),
        Column("valid", label="有效期", accessor=standard_period),
        Column("occupations", label="适用职业", accessor=standard_scope),
        Column("is_active", label="启用"),
    ]
    list_select_related = ["region"]
    list_export = [
        "name",
        "kind",
        "payee",
        "certificate_kind",
        "level",
        "amount",
        "region.name",
        "valid_from",
        "valid_to",
        "occupation_count",
        "uses_per_year",
        "extra_uses_per_year",
        "is_active",
    ]
    export_headings = {
        "amount": "补贴金额",
        "region.name": "适用地区",
        "occupation_count": "适用职业",
    }
    export_filename = "补贴标准"
    inspect_view_fields = [
        "name",
        "kind",
        "payee",
        "certificate_kind",
        "level",
        "amount",
        "region",
        "valid_from",
        "valid_to",
        "occupations",
        "key_groups",
        "attendance_threshold",
        "claim_window_months",
        "uses_per_year",
        "extra_uses_per_year",
        "is_active",
    ]
    form_fields = SubsidyStandardForm._meta.fields

    def get_form_class(self, for_update=False):
        return SubsidyStandardForm

    def register_permissions(self):
        from wagtail.permissions import policy_registry, register_permission_policy

        if policy_registry.get_by_type(self.model, fallback=False) is None:
            register_permission_policy(
                self.model, StandardPermissionPolicy(self.model), exact_class=True
            )
        super().register_permissions()

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            permission_policy=StandardPermissionPolicy(self.model), **kwargs
        )
