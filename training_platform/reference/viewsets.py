"""Back-office screens for reference data the bureau maintains."""

import django_filters
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.viewsets.model import ViewSetGroup

from training_platform.reference.models import KeyGroup, Occupation, OccupationCategory
from training_platform.viewsets import ScopedModelViewSet


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


class OccupationViewSet(ScopedModelViewSet):
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


class KeyGroupViewSet(ScopedModelViewSet):
    model = KeyGroup
    icon = "group"
    menu_label = "重点群体"
    search_fields = ["name"]
    list_display = ["name", "code", "is_active"]
    form_fields = ["code", "name", "sort_order", "is_active"]


class ReferenceGroup(ViewSetGroup):
    menu_label = "基础数据"
    menu_icon = "cogs"
    menu_order = 900
    items = (OccupationViewSet, KeyGroupViewSet)
