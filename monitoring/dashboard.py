"""The plan dashboard's figures (统计监测), built as tables the page, the charts and the
xlsx export all read.

Computed numbers come only through ``monitoring.summary.indicator_rows``, one call per
(query, region, level) in a page, cached for the page: the number of queries depends on
the seeded indicators, never on the records. Reported figures (统计报送) come from
``monitoring.services.approved_figures`` and are shown in their own table, never added
to computed ones.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from bases.models import ApprovalLevel, BaseKind, BuildType, TrainingInstitution
from courses.models import CourseKind
from monitoring import charts, policies
from monitoring.indicators import Status, indicator_status, share_of_period
from monitoring.models import Indicator, Measure
from monitoring.services import approved_figures
from monitoring.summary import indicator_rows
from subsidies.models import SubsidyKind
from training_platform.reference.models import (
    CertificateKind,
    Region,
    RegionLevel,
    SkillLevel,
)

# Indicators counted by another query than their own, with the key that selects them
# (the plan's public training bases by level and build type).
QUERY_OVERRIDE = {
    "prefecture_bases_upgraded": ("public_training_bases", "prefecture:upgrade"),
    "prefecture_bases_new": ("public_training_bases", "prefecture:new"),
    "county_bases_new": ("public_training_bases", "county:new"),
}
# A county's page lists its institutions through these queries (key: institution id).
INSTITUTION_QUERY = {
    "training_person_times": "training_by_institution",
    "entrepreneurship_person_times": "entrepreneurship_by_institution",
    "skill_talent": "skill_talent_by_institution",
    "high_skill_talent": "high_skill_talent_by_institution",
}
# Further breakdowns: (slug, title, query, label of the key column).
EXTRA_BREAKDOWNS = {
    "training_person_times": [
        ("kinds", "按课程类型", "training_by_course_kind", "课程类型")
    ],
}
CHILD_LEVEL = {
    RegionLevel.PROVINCE: RegionLevel.PREFECTURE,
    RegionLevel.PREFECTURE: RegionLevel.COUNTY,
}
BY_FOR_CHILDREN = {
    RegionLevel.PROVINCE: "prefecture",
    RegionLevel.PREFECTURE: "county",
    RegionLevel.COUNTY: "county",
}
_CHOICE_LABELS = {
    **dict(SkillLevel.choices),
    **dict(CertificateKind.choices),
    **dict(SubsidyKind.choices),
    **dict(BaseKind.choices),
    **dict(ApprovalLevel.choices),
    **dict(BuildType.choices),
    **dict(CourseKind.choices),
}


def key_label(key: str) -> str:
    """``4`` → 四级/中级工; ``skill_level:4`` → 职业技能等级证书 · 四级/中级工."""
    if not key:
        return "未分级"
    parts = [p for p in key.split(":") if p]
    return " · ".join(_CHOICE_LABELS.get(p, p) for p in parts) or "未分级"


# --- words and numbers ------------------------------------------------------------------


def number(value, unit: str = "") -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    if unit == "元" or value != value.to_integral_value():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def percent(actual, target) -> tuple:
    """(ratio rounded to 0.1 %, text) or (None, "—") without a target."""
    if target is None or Decimal(target) <= 0:
        return None, "—"
    ratio = (Decimal(actual) / Decimal(target) * 100).quantize(Decimal("0.1"))
    return ratio, f"{ratio}%"


def moment(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else "—"


# --- tables ----------------------------------------------------------------------------


@dataclass
class Cell:
    value: object  # what the xlsx holds: a number, or the text
    text: str  # what the page shows
    url: str | None = None
    numeric: bool = False
    css: str = ""


def text(value, url=None, css="") -> Cell:
    value = "—" if value in (None, "") else str(value)
    return Cell(value, value, url=url, css=css)


def num(value, unit="", url=None) -> Cell:
    if value is None:
        return Cell(None, "—")
    return Cell(Decimal(value), number(value, unit), url=url, numeric=True)


def pct(actual, target) -> Cell:
    ratio, shown = percent(actual, target)
    return Cell(shown, shown)


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    chart: str = ""
    note: str = ""
    count_word: str = "行"

    def column(self, index: int) -> list:
        return [row[index].value for row in self.rows]

    def xlsx_rows(self) -> list[list]:
        return [[cell.value for cell in row] for row in self.rows]


# --- scope -----------------------------------------------------------------------------


def resolve_region(user, param: str | None) -> Region:
    """The region asked for (a code prefix: 52, 5201, 520102 or a padded code), in scope.

    Nothing asked: the user's own (first) region. Unknown or out of scope: 404."""
    prefixes = policies.dashboard_prefixes(user)
    if not prefixes:
        raise Http404
    param = (param or "").strip() or prefixes[0]
    if not param.isdigit() or len(param) not in (2, 4, 6):
        raise Http404("区划代码无效。")
    region = Region.objects.filter(code=param.ljust(6, "0")).first()
    if region is None or not policies.region_in_scope(user, region.prefix):
        raise Http404
    return region


def parse_year(param) -> tuple[int | None, str]:
    """(year or None, message): a bad year is answered in words, never a 500."""
    if param in (None, ""):
        return None, ""
    try:
        year = int(param)
    except (TypeError, ValueError):
        return None, "年度应为四位数字，已显示规划期全部年度。"
    if not 2000 <= year <= 2100:
        return None, "年度超出范围，已显示规划期全部年度。"
    return year, ""


def breadcrumbs(region: Region, user) -> list[Region]:
    """The region's ancestors within the user's scope, outermost first (one query)."""
    codes = {region.code[:2] + "0000", region.code[:4] + "00", region.code}
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    chain = [found.get(c) for c in sorted(codes)]
    return [r for r in chain if r and policies.region_in_scope(user, r.prefix)]


# --- the figures -----------------------------------------------------------------------


class Figures:
    """One page's computed rows: each (query, region, level) counted once."""

    def __init__(self):
        self._cache = {}
        self.computed_at = None
        self.from_summary = False

    def rows(self, query_key, *, regions, by, year_from=None, year_to=None):
        cache_key = (query_key, regions, by, year_from, year_to)
        if cache_key not in self._cache:
            computed = indicator_rows(
                query_key,
                regions=regions,
                year_from=year_from,
                year_to=year_to,
                by=by,
            )
            self._cache[cache_key] = computed.rows
            if self.computed_at is None or computed.computed_at < self.computed_at:
                self.computed_at = computed.computed_at
            self.from_summary = self.from_summary or computed.from_summary
        return self._cache[cache_key]


def query_of(indicator: Indicator) -> tuple[str, str | None]:
    """(query key, key that selects the indicator's rows or None)."""
    return QUERY_OVERRIDE.get(indicator.code, (indicator.query_key, None))


def indicator_rows_for(figures, indicator, *, region, by):
    query_key, only = query_of(indicator)
    rows = figures.rows(
        query_key,
        regions=region.prefix,
        by=by,
        year_from=indicator.period_start,
        year_to=indicator.period_end,
    )
    if only is not None:
        rows = [r for r in rows if r.key == only]
    return rows


def target_for(indicator, region: Region, year: int | None):
    """The target for ``region`` (and ``year``): the plan's own where the region is the
    indicator's, else a regional share where the plan gives one; None when not split."""
    own = region.code == indicator.region_code
    for target in indicator.targets.all():
        if target.year == year and target.region_code == ("" if own else region.code):
            return target.target
    if own and year is None:
        return indicator.target
    return None


def status_for(indicator, actual, target, year, today) -> tuple[str, str]:
    """(status code, label); ``—`` without a target."""
    if target is None:
        return "", "—"
    if year is None:
        share = share_of_period(indicator.period_start, indicator.period_end, today)
    else:
        share = share_of_period(year, year, today)
    status = indicator_status(
        actual,
        target,
        share,
        on_track_share=indicator.on_track_share,
        at_risk_share=indicator.at_risk_share,
    )
    return status, Status.LABELS[status]


def expected_for(indicator, target, year, today):
    if target is None:
        return None
    if year is None:
        share = share_of_period(indicator.period_start, indicator.period_end, today)
    else:
        share = share_of_period(year, year, today)
    return (Decimal(target) * share).quantize(Decimal("1"))


def thresholds(indicator) -> str:
    on = (indicator.on_track_share * 100).normalize()
    risk = (indicator.at_risk_share * 100).normalize()
    return f"达到进度目标 {on:f}% 及以上为进度正常，{risk:f}%–{on:f}% 为进度滞后，低于 {risk:f}% 为严重滞后"


def page_url(name, *args, **params) -> str:
    params = {k: v for k, v in params.items() if v not in (None, "")}
    url = reverse(name, args=args)
    return f"{url}?{urlencode(params)}" if params else url


def records_url(query_key, *, region, year=None, key=None) -> str:
    return page_url(
        "monitoring:records", query=query_key, region=region, year=year, key=key
    )


def indicators():
    return list(Indicator.objects.prefetch_related("targets"))


def overview(user, region: Region, year: int | None) -> dict:
    """The overview: every computed indicator, then the reported ones apart."""
    today = timezone.localdate()
    figures = Figures()
    computed = Table(
        "overview",
        "平台统计指标",
        [
            "指标",
            "单位",
            "实际完成",
            "目标",
            "完成目标比例",
            "进度目标",
            "状态",
        ],
        count_word="项指标",
    )
    reported = Table(
        "reported",
        "报送数据",
        [
            "指标",
            "地区",
            "年度",
            "数值",
            "单位",
            "数据来源",
            "来源日期",
            "填报人",
            "审核人",
        ],
        count_word="条",
    )
    status_notes = []
    for indicator in indicators():
        if indicator.measure == Measure.REPORTED:
            for figure in approved_figures(
                indicator=indicator, regions=region.prefix
            ).select_related("region", "entered_by", "approved_by"):
                if year is not None and figure.year != year:
                    continue
                reported.rows.append(
                    [
                        text(indicator.name),
                        text(figure.region.name),
                        text(figure.year),
                        num(figure.value, indicator.unit),
                        text(indicator.unit),
                        text(figure.source),
                        text(f"{figure.source_date:%Y-%m-%d}"),
                        text(figure.entered_by.get_full_name()),
                        text(figure.approved_by.get_full_name()),
                    ]
                )
            continue
        rows = indicator_rows_for(figures, indicator, region=region, by="province")
        if year is not None:
            rows = [r for r in rows if r.year == year]
        actual = sum((r.value for r in rows), Decimal(0))
        target = target_for(indicator, region, year)
        status, label = status_for(indicator, actual, target, year, today)
        query_key, only = query_of(indicator)
        computed.rows.append(
            [
                text(
                    indicator.name,
                    url=page_url(
                        "monitoring:indicator",
                        indicator.code,
                        region=region.prefix,
                        year=year,
                    ),
                ),
                text(indicator.unit),
                num(
                    actual,
                    indicator.unit,
                    url=records_url(
                        query_key, region=region.prefix, year=year, key=only
                    ),
                ),
                num(target, indicator.unit),
                pct(actual, target),
                num(expected_for(indicator, target, year, today), indicator.unit),
                text(label, css=f"status status-{status}" if status else ""),
            ]
        )
        status_notes.append(f"{indicator.name}：{thresholds(indicator)}")
    if computed.rows:
        computed.chart = charts.horizontal_bars(
            f"{region.name}各项指标完成目标比例（%）",
            [
                (row[0].text, percent(row[2].value, row[3].value)[0] or 0, Decimal(100))
                for row in computed.rows
                if row[3].value is not None
            ],
        )
        computed.note = "图中为完成目标比例（%），竖线为 100%。"
    return {
        "tables": [computed, reported],
        "computed": computed,
        "reported": reported,
        "computed_at": figures.computed_at or timezone.now(),
        "from_summary": figures.from_summary,
        "status_notes": status_notes,
    }


def _children(region: Region) -> list[Region]:
    level = CHILD_LEVEL.get(region.level)
    if level is None:
        return []
    return list(Region.objects.filter(parent=region, level=level).order_by("code"))


def indicator_page(
    user, indicator: Indicator, region: Region, year: int | None
) -> dict:
    """One indicator: by year (with the yearly target), the cumulative trend, by child
    region (or institution, in a county), and by key where the query has one."""
    today = timezone.localdate()
    unit = indicator.unit
    figures = Figures()
    tables = []
    if indicator.measure == Measure.REPORTED:
        table = Table(
            "reported",
            "报送数据",
            ["地区", "年度", "数值", "数据来源", "来源日期", "填报人", "审核人"],
            count_word="条",
        )
        for figure in approved_figures(
            indicator=indicator, regions=region.prefix
        ).select_related("region", "entered_by", "approved_by"):
            if year is not None and figure.year != year:
                continue
            table.rows.append(
                [
                    text(figure.region.name),
                    text(figure.year),
                    num(figure.value, unit),
                    text(figure.source),
                    text(f"{figure.source_date:%Y-%m-%d}"),
                    text(figure.entered_by.get_full_name()),
                    text(figure.approved_by.get_full_name()),
                ]
            )
        return {
            "tables": [table],
            "computed_at": timezone.now(),
            "from_summary": False,
        }

    query_key, only = query_of(indicator)
    by = BY_FOR_CHILDREN[region.level]
    rows = indicator_rows_for(figures, indicator, region=region, by=by)
    years = list(range(indicator.period_start, indicator.period_end + 1))

    # By year, with the yearly target.
    by_year = defaultdict(Decimal)
    for row in rows:
        by_year[row.year] += row.value
    year_table = Table(
        "years",
        "分年度完成情况",
        ["年度", "实际完成", "年度目标", "完成目标比例", "状态"],
        count_word="个年度",
    )
    for y in years:
        target = target_for(indicator, region, y)
        status, label = status_for(indicator, by_year[y], target, y, today)
        year_table.rows.append(
            [
                text(
                    y,
                    url=page_url(
                        "monitoring:indicator",
                        indicator.code,
                        region=region.prefix,
                        year=y,
                    ),
                ),
                num(
                    by_year[y],
                    unit,
                    url=records_url(query_key, region=region.prefix, year=y, key=only),
                ),
                num(target, unit),
                pct(by_year[y], target),
                text(label, css=f"status status-{status}" if status else ""),
            ]
        )
    year_table.chart = charts.vertical_bars(
        f"{indicator.name}分年度完成情况（{unit}）",
        [(row[0].text, row[1].value, row[2].value) for row in year_table.rows],
    )
    year_table.note = "柱为实际完成，横线为年度目标。"
    tables.append(year_table)

    # The trend: cumulative figures against the plan period's target.
    plan_target = target_for(indicator, region, None)
    trend = Table(
        "trend",
        "累计完成趋势",
        ["年度", "累计完成", "规划期目标", "完成目标比例"],
        count_word="个年度",
    )
    running = Decimal(0)
    for y in years:
        running += by_year[y]
        trend.rows.append(
            [
                text(y),
                num(running, unit),
                num(plan_target, unit),
                pct(running, plan_target),
            ]
        )
    trend.chart = charts.trend_line(
        f"{indicator.name}累计完成趋势（{unit}）",
        [(row[0].text, row[1].value) for row in trend.rows],
        target=plan_target,
    )
    trend.note = "折线为累计完成，横线为规划期目标。" if plan_target is not None else ""
    tables.append(trend)

    # By child region, or by institution in a county.
    in_year = [r for r in rows if year is None or r.year == year]
    if region.level in CHILD_LEVEL:
        children = _children(region)
        totals = defaultdict(Decimal)
        for row in in_year:
            totals[row.region_code] += row.value
        table = Table(
            "regions",
            "按地区",
            ["地区", "实际完成", "目标", "完成目标比例", "状态"],
            count_word="个地区",
        )
        for child in children:
            actual = totals[child.code]
            target = target_for(indicator, child, year)
            status, label = status_for(indicator, actual, target, year, today)
            table.rows.append(
                [
                    text(
                        child.name,
                        url=page_url(
                            "monitoring:indicator",
                            indicator.code,
                            region=child.prefix,
                            year=year,
                        ),
                    ),
                    num(
                        actual,
                        unit,
                        url=records_url(
                            query_key, region=child.prefix, year=year, key=only
                        ),
                    ),
                    num(target, unit),
                    pct(actual, target),
                    text(label, css=f"status status-{status}" if status else ""),
                ]
            )
        table.chart = charts.horizontal_bars(
            f"{indicator.name}按地区（{unit}）",
            [(row[0].text, row[1].value, row[2].value) for row in table.rows],
        )
        tables.append(table)
    elif indicator.query_key in INSTITUTION_QUERY and only is None:
        inst_query = INSTITUTION_QUERY[indicator.query_key]
        inst_rows = figures.rows(
            inst_query,
            regions=region.prefix,
            by="county",
            year_from=year if year is not None else indicator.period_start,
            year_to=year if year is not None else indicator.period_end,
        )
        totals = defaultdict(Decimal)
        for row in inst_rows:
            totals[row.key] += row.value
        names = dict(
            TrainingInstitution.objects.filter(
                pk__in=[int(k) for k in totals if k.isdigit()]
            ).values_list("pk", "name")
        )
        table = Table(
            "institutions", "按机构", ["机构", "实际完成"], count_word="个机构"
        )
        for key, actual in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
            name = names.get(int(key)) if key.isdigit() else None
            table.rows.append(
                [
                    text(name or "未记录机构"),
                    num(
                        actual,
                        unit,
                        url=records_url(
                            inst_query, region=region.prefix, year=year, key=key
                        ),
                    ),
                ]
            )
        table.chart = charts.horizontal_bars(
            f"{indicator.name}按机构（{unit}）",
            [(row[0].text, row[1].value, None) for row in table.rows],
        )
        tables.append(table)

    # By key (level, kind) where the query has one.
    breakdowns = []
    if only is None and any(r.key for r in rows):
        breakdowns.append(("keys", "按类别", query_key, "类别", in_year))
    for slug, title, extra_key, label in EXTRA_BREAKDOWNS.get(indicator.query_key, []):
        extra = figures.rows(
            extra_key,
            regions=region.prefix,
            by="province",
            year_from=year if year is not None else indicator.period_start,
            year_to=year if year is not None else indicator.period_end,
        )
        breakdowns.append((slug, title, extra_key, label, extra))
    for slug, title, key_query, label, source in breakdowns:
        totals = defaultdict(Decimal)
        for row in source:
            totals[row.key] += row.value
        table = Table(slug, title, [label, "实际完成"], count_word="类")
        for key in sorted(totals):
            table.rows.append(
                [
                    text(key_label(key)),
                    num(
                        totals[key],
                        unit,
                        url=records_url(
                            key_query, region=region.prefix, year=year, key=key
                        ),
                    ),
                ]
            )
        table.chart = charts.horizontal_bars(
            f"{indicator.name}{title}（{unit}）",
            [(row[0].text, row[1].value, None) for row in table.rows],
        )
        tables.append(table)
    return {
        "tables": tables,
        "computed_at": figures.computed_at or timezone.now(),
        "from_summary": figures.from_summary,
        "thresholds": thresholds(indicator),
        "plan_target": plan_target,
    }


def today() -> dt.date:
    return timezone.localdate()
