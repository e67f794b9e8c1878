"""Back-office screens for reference data the province bureau maintains."""

import django_filters
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.viewsets.model import ViewSetGroup
from wagtail.permissions import policy_registry, register_permission_policy

from training_platform import access
from training_platform.display import CodeColumn, code
from training_platform.reference.models import (
    Holiday,
    KeyGroup,
    Occupation,
    OccupationCategory,
)
from training_platform.reference.policies import may_edit_reference
from training_platform.viewsets import (
    ScopedInspectView,
    ScopedModelViewSet,
    ScopedPermissionPolicy,
)


class ReferencePermissionPolicy(ScopedPermissionPolicy):
    """Every role with the model permission may look; only the province edits.

    The role groups cannot tell a province bureau from a prefecture one, so adding,
    changing and deleting also need :func:`may_edit_reference` (no add or edit buttons,
    and the add and edit views refuse, for everyone else).
    """

    def user_has_permission(self, user, action):
        if action not in ("view", "inspect") and not may_edit_reference(
            access.scope_for(user)
        ):
            return False
        return super().user_has_permission(user, action)


class ReferenceViewSet(ScopedModelViewSet):
    def register_permissions(self):
        if policy_registry.get_by_type(self.model, fallback=False) is None:
            register_permission_policy(
                self.model, ReferencePermissionPolicy(self.model), exact_class=True
            )
        super().register_permissions()


class OccupationFilterSet(WagtailFilterSet):
    major = django_filters.ModelChoiceFilter(
        label="大类", queryset=OccupationCategory.objects.filter(level="major")
    )
    middle = django_filters.ModelChoiceFilter(
        label="中类", queryset=OccupationCategory.objects.filter(level="middle")
    )

    class Meta:
        model = Occupation
        fields = ["major", "middle", "is_digital", "is_green"]


class OccupationViewSet(ReferenceViewSet):
    model = Occupation
    icon = "list-ul"
    menu_label = "职业分类"
    filterset_class = OccupationFilterSet
    search_fields = ["code", "name"]
    list_display = ["code", "name", "middle", "is_digital", "is_green"]
    list_select_related = ["middle"]
    list_per_page = 50
    inspect_view_fields = [
        "code",
        "name",
        "major",
        "middle",
        "minor",
        "is_digital",
        "is_green",
    ]
    form_fields = ["name", "is_digital", "is_green"]
    add_view_enabled = False


class KeyGroupInspectView(ScopedInspectView):
    def get_code_display_value(self):
        return code(self.object.code)


class KeyGroupViewSet(ReferenceViewSet):
    model = KeyGroup
    icon = "group"
    menu_label = "重点群体"
    search_fields = ["name"]
    list_display = ["name", CodeColumn("code", label="代码"), "sort_order", "is_active"]
    form_fields = ["code", "name", "sort_order", "is_active"]
    inspect_view_class = KeyGroupInspectView


class HolidayFilterSet(WagtailFilterSet):
    year = django_filters.NumberFilter(label="年份", field_name="date__year")

    class Meta:
        model = Holiday
        fields = ["year", "is_workday"]


class HolidayViewSet(ReferenceViewSet):
    """节假日: the days off and the make-up working days that working-day counts use."""

    model = Holiday
    icon = "date"
    menu_label = "节假日"
    filterset_class = HolidayFilterSet
    search_fields = ["name"]
    list_display = ["date", "name", "is_workday"]
    list_per_page = 50
    form_fields = ["date", "name", "is_workday"]
    inspect_view_fields = ["date", "name", "is_workday"]


class ReferenceGroup(ViewSetGroup):
    menu_label = "基础数据"
    menu_icon = "cogs"
    menu_order = 900
    items = (OccupationViewSet, KeyGroupViewSet, HolidayViewSet)
