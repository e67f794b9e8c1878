"""本机构补贴申领: the claims an institution filed or trained for, read-only, scoped.

Claims change only through ``subsidies.services`` and ``subsidies.workflow``: no add,
edit or delete form here, and no inspect page (it would show the account in full).
"""

import django_filters
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column

from courses.templatetags.money import yuan
from subsidies.models import Claim, ClaimStatus, SubsidyKind
from training_platform import access
from training_platform.roles import Role
from training_platform.viewsets import (
    ScopedIndexView,
    ScopedModelViewSet,
    ScopedPermissionPolicy,
)


class ReadOnlyClaimPolicy(ScopedPermissionPolicy):
    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class FiledClaimFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=ClaimStatus.choices)
    kind = django_filters.ChoiceFilter(label="补贴类型", choices=SubsidyKind.choices)
    class_code = django_filters.CharFilter(
        label="班级编号",
        field_name="enrolment__training_class__code",
        help_text="完整编号",
    )
    failed = django_filters.BooleanFilter(
        label="预审未通过", method="filter_failed", widget=None
    )

    class Meta:
        model = Claim
        fields = []

    def filter_failed(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(checks_failed__gt=0)
            if value
            else queryset.filter(checks_failed=0)
        )


def _class_code(claim) -> str:
    return claim.enrolment.training_class.code if claim.enrolment_id else ""


def _amount(claim) -> str:
    return f"{yuan(claim.amount)} 元"


def _account(claim) -> str:
    return f"{claim.get_account_kind_display()} {claim.masked_account or '—'}"


def _failed(claim) -> str:
    return f"{claim.checks_failed} 项" if claim.checks_failed else "全部通过"


class FiledClaimIndexView(ScopedIndexView):
    results_template_name = "subsidies/filing/claims_results.html"


class FiledClaimViewSet(ScopedModelViewSet):
    """本机构补贴申领: status and class filters, the count line, masked accounts."""

    model = Claim
    name = "filed_claims"
    url_prefix = "subsidies/filed"
    icon = "form"
    menu_label = "本机构补贴申领"
    add_to_admin_menu = False
    index_view_class = FiledClaimIndexView
    filterset_class = FiledClaimFilterSet
    inspect_view_enabled = False
    list_display = [
        Column("trainee", label="学员", accessor="trainee.masked_name"),
        Column("class_code", label="班级", accessor=_class_code),
        Column("kind", label="补贴类型", accessor="get_kind_display"),
        Column("amount", label="金额", accessor=_amount),
        Column("payee", label="收款账户", accessor=_account),
        Column("status", label="状态", accessor="get_status_display"),
        Column("checks_failed", label="预审未通过", accessor=_failed),
        Column("submitted_at", label="提交时间"),
    ]
    list_select_related = ["trainee", "enrolment__training_class"]
    list_export = [
        "trainee.masked_name",
        "enrolment.training_class.code",
        "kind",
        "amount",
        "payee_kind",
        "status",
        "checks_failed",
        "submitted_at",
    ]
    export_headings = {
        "trainee.masked_name": "学员",
        "enrolment.training_class.code": "班级",
        "kind": "补贴类型",
        "amount": "金额（元）",
        "payee_kind": "补贴对象",
        "status": "状态",
        "checks_failed": "预审未通过项数",
        "submitted_at": "提交时间",
    }
    export_filename = "补贴申领"
    form_fields = []

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            permission_policy=ReadOnlyClaimPolicy(Claim), **kwargs
        )


class FiledClaimsMenuItem(MenuItem):
    """本机构补贴申领: for staff of a training institution."""

    def is_shown(self, request):
        return bool(access.scope_for(request.user).institution_ids(Role.INSTITUTION))
