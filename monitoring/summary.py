"""Where the dashboard gets its numbers: :func:`indicator_rows`.

Today it runs the registered query (``monitoring.indicators.REGISTRY``) and says when;
a view that needs more than a second at province scale is served from a summary
refreshed by a background task instead, behind this same function, so the screens never
call the queries directly.
"""

from dataclasses import dataclass

from django.utils import timezone

from monitoring.indicators import REGISTRY, Row


@dataclass(frozen=True)
class Computed:
    rows: list[Row]
    computed_at: object  # an aware datetime: when the figures were counted
    from_summary: bool = False  # True: read from the refreshed summary, not live


def indicator_rows(
    query_key: str,
    *,
    regions: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    by: str = "county",
) -> Computed:
    """The rows of the computed indicator ``query_key`` (see ``indicators.REGISTRY``)."""
    rows = REGISTRY[query_key](
        regions=regions, year_from=year_from, year_to=year_to, by=by
    )
    return Computed(rows=rows, computed_at=timezone.now())
