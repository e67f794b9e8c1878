"""The public course catalogue's filters: what a visitor can narrow open classes by.

Every parameter lives in the query string, so a filtered list is a shareable URL.
Invalid values are reported on the form and ignored; they never hide every class.
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from courses.models import CourseKind
from training_platform.reference.models import (
    OccupationCategory,
    Region,
    RegionLevel,
    SkillLevel,
    prefix_for,
)

# 大类 "6", 中类 "6-31", 小类 "6-31-01" or an occupation "6-31-01-03". Every segment
# has a fixed width, so a code is also the prefix of everything below it.
OCCUPATION_CODE = RegexValidator(
    r"^\d(-\d{2}){0,3}$", _("请选择职业类别或输入职业编码，如 6-31-01-03。")
)
# What the occupation field takes: a code, a code followed by its name (as the suggestions
# offer it: "6-31-01-03 电工"), or part of a name ("电工").
_LEADING_CODE = re.compile(r"^(\d(?:-\d{2}){0,3})(?:\s+\S.*)?$")
_CODE_LIKE = re.compile(r"^[\d\s\-－]+$")


def occupation_code_in(value: str) -> str | None:
    """The occupation or category code a typed value starts with, if any."""
    match = _LEADING_CODE.match(value.strip())
    return match.group(1) if match else None


def validate_occupation(value: str) -> None:
    """A name is fine; something made of digits and dashes must be a whole code."""
    if occupation_code_in(value) is None and _CODE_LIKE.match(value):
        raise ValidationError(OCCUPATION_CODE.message, code="invalid")


class CheckboxFilter(django_filters.Filter):
    """A checkbox that narrows the list when ticked and does nothing otherwise."""

    field_class = forms.BooleanField

    def __init__(self, *args, condition, **kwargs):
        self.condition = condition
        kwargs.setdefault("widget", forms.CheckboxInput(attrs={"value": "1"}))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs.filter(self.condition) if value else qs


SORTS = {
    # name: (label, ordering); the class code breaks ties so pages never overlap.
    "start": (_("开班时间（由近及远）"), ("start_date", "code")),
    "newest": (_("最新发布"), ("-created_at", "-pk")),
    "seats": (_("剩余名额最多"), ("-open_seats", "start_date", "code")),
    "fee": (_("收费从低到高"), ("course__fee", "start_date", "code")),
}
DEFAULT_SORT = "start"


class CatalogueFilter(django_filters.FilterSet):
    """Filters and ordering of open classes (SPEC 2.3): occupation, region, level, …"""

    q = django_filters.CharFilter(
        label=_("关键词"),
        method="filter_text",
        max_length=60,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("项目、职业或机构名称")}
        ),
    )
    occupation = django_filters.CharFilter(
        label=_("职业（工种）"),
        method="filter_occupation",
        max_length=60,
        validators=[validate_occupation],
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "list": "occupation-options",
                "placeholder": _("职业名称或编码，如 电工"),
                "autocomplete": "off",
            }
        ),
    )
    region = django_filters.ChoiceFilter(
        label=_("培训地区"),
        method="filter_region",
        choices=[],  # the reference table's, set per request
        empty_label=_("全省"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("培训类型"),
        field_name="course__kind",
        choices=CourseKind.choices,
        empty_label=_("全部类型"),
    )
    level = django_filters.ChoiceFilter(
        label=_("培训等级"),
        field_name="course__target_level",
        choices=SkillLevel.choices,
        empty_label=_("全部等级"),
    )
    start_after = django_filters.DateFilter(
        label=_("开班日期不早于"),
        field_name="start_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start_before = django_filters.DateFilter(
        label=_("开班日期不晚于"),
        field_name="start_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    subsidised = CheckboxFilter(
        label=_("只看补贴性培训"), condition=Q(course__subsidised=True)
    )
    seats_left = CheckboxFilter(
        label=_("只看有剩余名额的"), condition=Q(seats_taken__lt=F("capacity"))
    )
    sort = django_filters.ChoiceFilter(
        label=_("排序"),
        choices=[(key, label) for key, (label, _ordering) in SORTS.items()],
        empty_label=None,
        method="filter_nothing",  # ordering is applied last, in filter_queryset
    )

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        regions = _regions()
        self._region_levels = {code: level for code, _name, level in regions}
        self.filters["region"].extra["choices"] = _region_choices(regions)

    # --- filters ------------------------------------------------------------------

    def filter_text(self, queryset, name, value):
        # Every word must appear in one of the names: "电工 花溪" finds 电工 classes
        # of an institution called 花溪….
        for word in value.split()[:5]:
            queryset = queryset.filter(
                Q(course__title__icontains=word)
                | Q(course__occupation__name__icontains=word)
                | Q(course__institution__name__icontains=word)
            )
        return queryset

    def filter_occupation(self, queryset, name, value):
        code = occupation_code_in(value)
        if code:
            return queryset.filter(course__occupation__code__startswith=code)
        # A name: the occupation's own, or that of its 小类, 中类 or 大类.
        value = value.strip()
        return queryset.filter(
            Q(course__occupation__name__icontains=value)
            | Q(course__occupation__minor__name__icontains=value)
            | Q(course__occupation__middle__name__icontains=value)
            | Q(course__occupation__major__name__icontains=value)
        )

    @property
    def active_count(self) -> int:
        """How many filters (not the ordering) narrow the list: shown on the folded button."""
        return sum(
            1
            for name in self.filters
            if name != "sort" and str(self.data.get(name, "")).strip()
        )

    def occupation_suggestions(self) -> list[str]:
        """What the occupation field suggests while typing: the 大类 and 中类, and the
        occupations that have open classes ("6-31-01-03 电工"), in code order (2 queries)."""
        categories = OccupationCategory.objects.filter(
            level__in=[OccupationCategory.Level.MAJOR, OccupationCategory.Level.MIDDLE]
        ).values_list("code", "name")
        occupations = (
            self.queryset.order_by()
            .values_list("course__occupation__code", "course__occupation__name")
            .distinct()
        )
        return [f"{code} {name}" for code, name in sorted({*categories, *occupations})]

    def filter_region(self, queryset, name, value):
        prefix = prefix_for(value, self._region_levels[value])
        return queryset.filter(region__code__startswith=prefix)

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        if sort == "seats":
            queryset = queryset.annotate(open_seats=F("capacity") - F("seats_taken"))
        return queryset.order_by(*SORTS[sort][1])


def _regions() -> list[tuple[str, str, str]]:
    """(code, name, level) of every prefecture and county, in code order (one query)."""
    return list(
        Region.objects.exclude(level=RegionLevel.PROVINCE)
        .order_by("code")
        .values_list("code", "name", "level")
    )


def _region_choices(regions):
    """The prefectures, each followed by its counties, as option groups."""
    groups: dict[str, tuple[str, list]] = {}
    for code, name, level in regions:
        if level == RegionLevel.PREFECTURE:
            label = _("%(name)s（全市州）") % {"name": name}
            groups[code[:4]] = (name, [(code, label)])
        else:
            groups.setdefault(code[:4], (code[:4], []))[1].append((code, name))
    return list(groups.values())
