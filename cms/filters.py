"""Filters of the public competition list and the directory of bases and studios.

Every parameter lives in the query string, so a filtered list is a shareable URL;
invalid values are reported on the form and ignored.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bases.models import ApprovalLevel, BaseKind, SkillMasterStudio, TrainingBase
from competitions.models import CompetitionLevel
from courses.filters import occupation_code_in, validate_occupation
from training_platform.reference.models import Region, RegionLevel

STUDIO = "studio"


class CompetitionFilter(django_filters.FilterSet):
    """Year and level of the competitions on /competitions/ (a CompetitionPage queryset)."""

    year = django_filters.ChoiceFilter(
        label=_("年度"),
        field_name="competition__year",
        empty_label=_("全部年度"),
    )
    level = django_filters.ChoiceFilter(
        label=_("竞赛级别"),
        field_name="competition__level",
        choices=CompetitionLevel.choices,
        empty_label=_("全部级别"),
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = [(str(y), str(y)) for y in years]

    @property
    def active_count(self) -> int:
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return sum(1 for value in data.values() if value not in (None, ""))


def kind_choices():
    return [*BaseKind.choices, (STUDIO, _("技能大师工作室"))]


def prefecture_choices():
    return list(
        Region.objects.filter(level=RegionLevel.PREFECTURE)
        .order_by("code")
        .values_list("code", "name")
    )


class DirectoryFilter(django_filters.FilterSet):
    """Kind, level, prefecture and occupation of the bases and studios on /bases/.

    The same filter narrows both registries: built on a TrainingBase queryset, or on a
    SkillMasterStudio queryset (``qs.model`` tells which)."""

    kind = django_filters.ChoiceFilter(
        label=_("类型"),
        choices=kind_choices,
        method="filter_kind",
        empty_label=_("全部类型"),
    )
    level = django_filters.ChoiceFilter(
        label=_("级别"),
        field_name="level",
        choices=ApprovalLevel.choices,
        empty_label=_("全部级别"),
    )
    prefecture = django_filters.ChoiceFilter(
        label=_("市（州）"),
        choices=prefecture_choices,
        method="filter_prefecture",
        empty_label=_("全省"),
    )
    occupation = django_filters.CharFilter(
        label=_("职业"),
        method="filter_occupation",
        max_length=60,
        validators=[validate_occupation],
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("职业名称或编码")}
        ),
    )

    class Meta:
        model = TrainingBase
        fields = []

    @property
    def active_count(self) -> int:
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return sum(1 for value in data.values() if value not in (None, ""))

    def filter_kind(self, queryset, name, value):
        if queryset.model is SkillMasterStudio:
            return queryset if value == STUDIO else queryset.none()
        return queryset.none() if value == STUDIO else queryset.filter(kind=value)

    def filter_prefecture(self, queryset, name, value):
        return queryset.filter(region__code__startswith=value[:4])

    def filter_occupation(self, queryset, name, value):
        path = "occupation" if queryset.model is SkillMasterStudio else "occupations"
        code = occupation_code_in(value)
        if code:
            condition = Q(**{f"{path}__code__startswith": code})
        else:
            condition = Q(**{f"{path}__name__icontains": value.strip()})
        matching = queryset.model.objects.filter(condition).values("pk")
        return queryset.filter(pk__in=matching)
