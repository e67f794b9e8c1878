"""The public course catalogue's filters: what a visitor can narrow open classes by.

Every parameter lives in the query string, so a filtered list is a shareable URL.
Invalid values are reported on the form and ignored; they never hide every class.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from courses.models import CourseKind
from training_platform.reference.models import (
    Occupation,
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
        validators=[OCCUPATION_CODE],
        widget=forms.Select,
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
        self.filters["occupation"].extra["widget"] = forms.Select(
            choices=_occupation_choices(self.data.get("occupation", ""))
        )

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
        return queryset.filter(course__occupation__code__startswith=value)

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


def _is_occupation_code(value: str) -> bool:
    try:
        OCCUPATION_CODE(value)
    except ValidationError:
        return False
    return True


def _occupation_choices(current: str):
    """大类 and 中类 options, plus the current value if it is a finer code (≤ 2 queries)."""
    categories = OccupationCategory.objects.filter(
        level__in=[OccupationCategory.Level.MAJOR, OccupationCategory.Level.MIDDLE]
    ).order_by("code")
    groups: dict[str, list] = {}
    labels = {}
    for category in categories:
        major = category.code[:1]
        if category.level == OccupationCategory.Level.MAJOR:
            labels[major] = f"{category.code} {category.name}"
            groups.setdefault(major, []).insert(
                0, (category.code, _("%(label)s（全部）") % {"label": labels[major]})
            )
        else:
            groups.setdefault(major, []).append(
                (category.code, f"{category.code} {category.name}")
            )
    choices = [("", _("全部职业"))]
    known = {code for options in groups.values() for code, _label in options}
    if current not in known and _is_occupation_code(current):
        # A 小类 or an occupation linked from elsewhere: keep it selectable.
        name = (
            Occupation.objects.filter(code=current).values_list("name", flat=True)
            if len(current) > 7
            else OccupationCategory.objects.filter(code=current).values_list(
                "name", flat=True
            )
        ).first()
        if name:
            choices.append((current, f"{current} {name}"))
    return choices + [
        (labels.get(major, major), opts) for major, opts in groups.items()
    ]
