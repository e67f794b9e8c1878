"""Where the dashboard gets its numbers: :func:`indicator_rows`.

Each computed indicator is one registered GROUP BY query
(``monitoring.indicators.REGISTRY``). Over a province's records (a million enrolments)
some of them take longer than a screen may wait, so :func:`summary_refresh` runs every
registered query once at county level and stores the rows in
:class:`monitoring.models.IndicatorSummary`; a background task
(``monitoring.tasks.indicator_summary_refresh_task``) or ``manage.py
refresh_indicator_summary`` calls it. :func:`indicator_rows` reads the summary whenever
there is one and says so (``from_summary=True``, ``computed_at`` = when it was
refreshed: the screens show that time); once it is older than
``settings.MONITORING_SUMMARY_MAX_AGE`` seconds (default 15 minutes) the read also queues
one refresh (:func:`summary_refresh_soon`), so nobody waits for a province-wide count and
no cron is needed. With no summary yet it counts live (and queues the first refresh).
Either way a constant number of queries: live one, summary two.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from monitoring.indicators import REGISTRY, Row, roll_up
from monitoring.models import IndicatorSummary

#: The region code of each query's marker row: "refreshed at", even with no rows.
MARKER = ""

#: Seconds after which reading a summary queues a refresh.
DEFAULT_MAX_AGE = 15 * 60
#: While this cache key lives, a refresh is already queued: readers queue no other.
REFRESH_QUEUED_KEY = "monitoring:summary-refresh-queued"
REFRESH_QUEUED_SECONDS = 5 * 60


@dataclass(frozen=True)
class Computed:
    rows: list[Row]
    computed_at: object  # an aware datetime: when the figures were counted
    from_summary: bool = False  # True: read from the refreshed summary, not live


def max_age() -> dt.timedelta:
    return dt.timedelta(
        seconds=getattr(settings, "MONITORING_SUMMARY_MAX_AGE", DEFAULT_MAX_AGE)
    )


def indicator_rows(
    query_key: str,
    *,
    regions: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    by: str = "county",
) -> Computed:
    """The rows of the computed indicator ``query_key`` (see ``indicators.REGISTRY``)."""
    query = REGISTRY[query_key]  # an unknown key fails here, summary or not
    summary = _from_summary(
        query_key, regions=regions, year_from=year_from, year_to=year_to, by=by
    )
    if summary is not None:
        if summary.computed_at < timezone.now() - max_age():
            summary_refresh_soon()
        return summary
    rows = query(regions=regions, year_from=year_from, year_to=year_to, by=by)
    summary_refresh_soon()
    return Computed(rows=rows, computed_at=timezone.now())


def summary_refresh_soon() -> bool:
    """Queue one background refresh of the summary once the current transaction
    commits, unless one was queued in the last ``REFRESH_QUEUED_SECONDS`` (True: queued
    now)."""
    if not cache.add(REFRESH_QUEUED_KEY, True, timeout=REFRESH_QUEUED_SECONDS):
        return False
    from monitoring.tasks import indicator_summary_refresh_task

    transaction.on_commit(indicator_summary_refresh_task.enqueue)
    return True


def summary_refreshed_at(query_key: str):
    """When the summary of ``query_key`` was last refreshed (None: never)."""
    return (
        IndicatorSummary.objects.filter(query_key=query_key, region_code=MARKER)
        .values_list("refreshed_at", flat=True)
        .first()
    )


def _from_summary(query_key, *, regions, year_from, year_to, by) -> Computed | None:
    refreshed_at = summary_refreshed_at(query_key)
    if refreshed_at is None:
        return None
    stored = IndicatorSummary.objects.filter(query_key=query_key).exclude(
        region_code=MARKER
    )
    if regions:
        stored = stored.filter(region_code__startswith=regions)
    if year_from is not None:
        stored = stored.filter(year__gte=year_from)
    if year_to is not None:
        stored = stored.filter(year__lte=year_to)
    rows = [
        Row(rc, yr, value, key)
        for rc, yr, value, key in stored.order_by(
            "region_code", "year", "key"
        ).values_list("region_code", "year", "value", "key")
    ]
    if by != "county":
        rows = roll_up(rows, by=by)
    return Computed(rows=rows, computed_at=refreshed_at, from_summary=True)


def summary_refresh(*, now=None) -> dict[str, int]:
    """Count every registered indicator once at county level and store the rows.

    Set-based: one query per registered indicator, one delete and one bulk insert, in
    one transaction, so a reader sees the old summary or the new one, never half of
    each. Each query also gets a marker row (region code ``""``, its value the number of
    rows) that says when it was refreshed. Running it again replaces the rows
    (idempotent). Returns the number of rows stored per query key.
    """
    now = now or timezone.now()
    counted = {key: fn(by="county") for key, fn in REGISTRY.items()}
    cache.delete(REFRESH_QUEUED_KEY)
    with transaction.atomic():
        IndicatorSummary.objects.all().delete()
        IndicatorSummary.objects.bulk_create(
            (
                IndicatorSummary(
                    query_key=key,
                    region_code=row.region_code,
                    year=row.year,
                    key=row.key,
                    value=row.value,
                    refreshed_at=now,
                )
                for key, rows in counted.items()
                for row in [Row(MARKER, 0, Decimal(len(rows))), *rows]
            ),
            batch_size=1000,
        )
    return {key: len(rows) for key, rows in counted.items()}
