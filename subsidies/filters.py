"""Filters of the bureau's review queue (django-filter)."""

import django_filters
from django.db.models import Exists, OuterRef

from bases.models import TrainingInstitution
from subsidies import review
from subsidies.models import CheckCode, ClaimCheck, ClaimStatus, SubsidyKind
from training_platform.filters import RegionFilter

ANY_FAILED = "any"
NONE_FAILED = "none"
FAILED_CHOICES = [
    (ANY_FAILED, "有任一项未通过"),
    (NONE_FAILED, "全部通过"),
    *[(code.value, f"未通过：{code.label}") for code in CheckCode],
]
WAITING = "waiting"
STATUS_CHOICES = [(WAITING, "待审核（已提交、审核中）"), *ClaimStatus.choices]


class ReviewQueueFilter(django_filters.FilterSet):
    region = RegionFilter()
    institution = django_filters.ModelChoiceFilter(
        label="培训机构",
        queryset=TrainingInstitution.objects.order_by("name"),
        empty_label="全部",
    )
    kind = django_filters.ChoiceFilter(
        label="补贴类型", choices=SubsidyKind.choices, empty_label="全部"
    )
    status = django_filters.ChoiceFilter(
        label="状态",
        choices=STATUS_CHOICES,
        empty_label="全部",
        method="filter_status",
    )
    failed = django_filters.ChoiceFilter(
        label="预审结果",
        choices=FAILED_CHOICES,
        empty_label="全部",
        method="filter_failed",
    )
    overdue = django_filters.ChoiceFilter(
        label="是否超期",
        choices=[
            ("1", f"已超期（提交超过 {review.REVIEW_WORKING_DAYS} 个工作日）"),
            ("0", "未超期"),
        ],
        empty_label="全部",
        method="filter_overdue",
    )

    def __init__(self, data=None, *args, institutions=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        if institutions is not None:
            self.filters["institution"].queryset = institutions

    def filter_status(self, queryset, name, value):
        if value == WAITING:
            return queryset.filter(status__in=review.WAITING)
        return queryset.filter(status=value) if value else queryset

    def filter_failed(self, queryset, name, value):
        if value == ANY_FAILED:
            return queryset.filter(checks_failed__gt=0)
        if value == NONE_FAILED:
            return queryset.filter(checks_failed=0)
        if value:
            failed = ClaimCheck.objects.filter(
                claim=OuterRef("pk"), code=value, passed=False
            )
            return queryset.filter(Exists(failed))
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value == "1":
            return queryset.filter(review.overdue_q())
        if value == "0":
            return queryset.exclude(review.overdue_q())
        return queryset
