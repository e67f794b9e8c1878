"""Server-side SVG charts for the dashboard: no JavaScript, no outside resource.

Each chart is drawn from the same :class:`monitoring.dashboard.Table` the page prints
beside it (a label column, a value column and, where there is one, a target column), so
the picture and the numbers cannot disagree. Every bar or point carries its number in
``data-value`` (and ``data-target``), the SVG has a ``<title>`` and an ``aria-label``.
"""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH = 560
LABEL_WIDTH = 130
BAR_HEIGHT = 18
GAP = 8
VALUE_ROOM = 90


def plain(value) -> str:
    """A number as data: ``1234`` or ``1500.50`` (no separators)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.2f}"


def _scale(values) -> Decimal:
    top = max((Decimal(v) for v in values if v is not None), default=Decimal(0))
    return top if top > 0 else Decimal(1)


def _svg(title: str, height: int, body: list[str], width: int = WIDTH) -> str:
    title = escape(title)
    # Every label is escaped where it is interpolated; the rest are numbers.
    return mark_safe(  # noqa: S308
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-label="{title}">'
        f"<title>{title}</title>" + "".join(body) + "</svg>"
    )


def horizontal_bars(title: str, items: list[tuple], *, unit: str = "") -> str:
    """``items``: (label, value, target or None). One bar per item, a target mark."""
    if not items:
        return ""
    top = _scale([v for _, v, _ in items] + [t for _, _, t in items])
    plot = WIDTH - LABEL_WIDTH - VALUE_ROOM
    body = []
    for index, (label, value, target) in enumerate(items):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = float(Decimal(value) / top) * plot
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end" '
            f'class="chart-label">{escape(label)}</text>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}" data-label="{escape(label)}" '
            f'data-value="{plain(value)}"'
            + (f' data-target="{plain(target)}"' if target is not None else "")
            + "></rect>"
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 13}" '
            f'class="chart-value">{escape(_short(value))}</text>'
        )
        if target is not None:
            x = LABEL_WIDTH + float(Decimal(target) / top) * plot
            body.append(
                f'<line class="chart-target" x1="{x:.1f}" x2="{x:.1f}" y1="{y - 2}" '
                f'y2="{y + BAR_HEIGHT + 2}"></line>'
            )
    height = GAP + len(items) * (BAR_HEIGHT + GAP)
    return _svg(title, height, body)


def vertical_bars(title: str, items: list[tuple], *, unit: str = "") -> str:
    """``items``: (label, value, target or None), e.g. one per year; target marks."""
    if not items:
        return ""
    height, base, top_room = 220, 190, 20
    top = _scale([v for _, v, _ in items] + [t for _, _, t in items])
    step = (WIDTH - 40) / len(items)
    width = min(step * 0.6, 60)
    body = [
        f'<line class="chart-axis" x1="20" x2="{WIDTH - 20}" y1="{base}" y2="{base}"></line>'
    ]
    for index, (label, value, target) in enumerate(items):
        x = 20 + index * step + (step - width) / 2
        bar = float(Decimal(value) / top) * (base - top_room)
        body.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{base - bar:.1f}" '
            f'width="{width:.1f}" height="{bar:.1f}" data-label="{escape(label)}" '
            f'data-value="{plain(value)}"'
            + (f' data-target="{plain(target)}"' if target is not None else "")
            + "></rect>"
            f'<text x="{x + width / 2:.1f}" y="{base + 16}" text-anchor="middle" '
            f'class="chart-label">{escape(label)}</text>'
            f'<text x="{x + width / 2:.1f}" y="{base - bar - 4:.1f}" '
            f'text-anchor="middle" class="chart-value">{escape(_short(value))}</text>'
        )
        if target is not None:
            ty = base - float(Decimal(target) / top) * (base - top_room)
            body.append(
                f'<line class="chart-target" x1="{x - 6:.1f}" x2="{x + width + 6:.1f}" '
                f'y1="{ty:.1f}" y2="{ty:.1f}"></line>'
            )
    return _svg(title, height, body)


def trend_line(title: str, items: list[tuple], *, target=None) -> str:
    """``items``: (label, value); a line through the years, ``target`` a level line."""
    if not items:
        return ""
    height, base, top_room = 220, 190, 20
    top = _scale([v for _, v in items] + [target])
    step = (WIDTH - 80) / max(len(items) - 1, 1)
    points, body = [], []
    for index, (label, value) in enumerate(items):
        x = 40 + index * step
        y = base - float(Decimal(value) / top) * (base - top_room)
        points.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="4" '
            f'data-label="{escape(label)}" data-value="{plain(value)}"></circle>'
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" '
            f'class="chart-label">{escape(label)}</text>'
        )
    line = [
        f'<line class="chart-axis" x1="20" x2="{WIDTH - 20}" y1="{base}" y2="{base}"></line>',
        f'<polyline class="chart-line" points="{" ".join(points)}"></polyline>',
    ]
    if target is not None:
        ty = base - float(Decimal(target) / top) * (base - top_room)
        line.append(
            f'<line class="chart-target" x1="20" x2="{WIDTH - 20}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}" data-target="{plain(target)}"></line>'
        )
    return _svg(title, height, line + body)


def _short(value) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"
