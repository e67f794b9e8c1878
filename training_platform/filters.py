"""Reusable django-filter filters for back-office lists."""

import django_filters
from django.db.models import Q

from training_platform.reference.models import Region, RegionLevel, prefix_for


class RegionFilter(django_filters.ModelChoiceFilter):
    """Filter by a prefecture or county, including everything below it.

    ``field_names`` are region-code paths; a row matches if any of them is in the region.
    """

    def __init__(self, *args, field_names=("region__code",), **kwargs):
        self.field_names = field_names
        kwargs.setdefault("label", "地区")
        kwargs.setdefault("empty_label", "全部")
        kwargs.setdefault(
            "queryset",
            Region.objects.exclude(level=RegionLevel.PROVINCE).order_by("code"),
        )
        super().__init__(*args, method=self.filter_region, **kwargs)

    def filter_region(self, queryset, name, value):
        if not value:
            return queryset
        prefix = prefix_for(value.code, value.level)
        query = Q()
        for path in self.field_names:
            query |= Q(**{f"{path}__startswith": prefix})
        return queryset.filter(query)
