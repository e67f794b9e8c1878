"""The plan's indicators (指标), their yearly or regional targets and reported figures.

An indicator is either *computed* (its figure comes from the platform's own records
through a query registered in :mod:`monitoring.indicators` under ``query_key``) or
*reported* (统计报送: entered by a bureau person, approved by another, kept in
:class:`ReportedFigure`). The two are never added together.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from training_platform.reference.models import Region


class Measure(models.TextChoices):
    COMPUTED = "computed", "平台统计"
    REPORTED = "reported", "统计报送"


class Attribute(models.TextChoices):
    EXPECTED = "expected", "预期性"
    BINDING = "binding", "约束性"


class Indicator(models.Model):
    code = models.SlugField("指标代码", max_length=40, unique=True)
    name = models.CharField("指标名称", max_length=80)
    unit = models.CharField("单位", max_length=20)
    period_start = models.PositiveSmallIntegerField("规划期起始年")
    period_end = models.PositiveSmallIntegerField("规划期结束年")
    target = models.DecimalField("规划期目标", max_digits=16, decimal_places=2)
    attribute = models.CharField(
        "指标属性", max_length=10, choices=Attribute.choices, default=Attribute.EXPECTED
    )
    measure = models.CharField("统计方式", max_length=10, choices=Measure.choices)
    # The key of the computed query in monitoring.indicators.REGISTRY.
    query_key = models.CharField("统计口径", max_length=40, blank=True)
    # Status thresholds, as shares of the time-proportional target (进度目标).
    on_track_share = models.DecimalField(
        "正常进度比例",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    at_risk_share = models.DecimalField(
        "滞后预警比例",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.700"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    # The province ("520000"), or a prefecture for a prefecture's own plan. A code, not a
    # key to Region: the seed migration runs before reference data is loaded.
    region_code = models.CharField("区划代码", max_length=6, default="520000")
    source = models.CharField("出处", max_length=200, blank=True)
    notes = models.TextField("说明", blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "规划指标"
        verbose_name_plural = "规划指标"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="indicator_period_order",
            ),
            models.CheckConstraint(
                condition=~Q(measure="computed") | ~Q(query_key=""),
                name="indicator_computed_has_query",
            ),
            models.CheckConstraint(
                condition=Q(at_risk_share__lte=F("on_track_share")),
                name="indicator_threshold_order",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.unit}）"

    def status_of(self, actual, *, on) -> str:
        """Status of ``actual`` on date ``on``, with this indicator's thresholds."""
        from monitoring.indicators import indicator_status, share_of_period

        return indicator_status(
            actual,
            self.target,
            share_of_period(self.period_start, self.period_end, on),
            on_track_share=self.on_track_share,
            at_risk_share=self.at_risk_share,
        )


class IndicatorTarget(models.Model):
    """A yearly or regional target where the plan gives one (年均, a prefecture's share)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name="指标"
    )
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    region_code = models.CharField("区划代码", max_length=6, blank=True)
    target = models.DecimalField("目标", max_digits=16, decimal_places=2)
    notes = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "分解目标"
        verbose_name_plural = "分解目标"
        ordering = ["indicator", "year", "region_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=False) | ~Q(region_code=""),
                name="target_has_year_or_region",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "region_code"],
                name="uniq_target_year_region",
            ),
            models.UniqueConstraint(
                fields=["indicator", "region_code"],
                condition=Q(year__isnull=True),
                name="uniq_target_region",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.name} {self.year or ''} {self.region_code}"


class FigureStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    APPROVED = "approved", "已审核"


class ReportedFigure(models.Model):
    """A reported figure (统计报送) for one indicator, region and year.

    Entered by one bureau person and approved by another; only approved figures count.
    """

    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="reported_figures",
        verbose_name="指标",
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="区域"
    )
    year = models.PositiveSmallIntegerField("年度")
    value = models.DecimalField("数值", max_digits=16, decimal_places=2)
    source = models.CharField("数据来源", max_length=200)
    source_date = models.DateField("来源日期")
    status = models.CharField(
        "状态", max_length=10, choices=FigureStatus.choices, default=FigureStatus.DRAFT
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="填报人",
    )
    entered_at = models.DateTimeField("填报时间", auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        verbose_name = "报送数据"
        verbose_name_plural = "报送数据"
        ordering = ["indicator", "-year", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "year"], name="uniq_reported_figure"
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(approved_by__isnull=False) & Q(approved_at__isnull=False)),
                name="approved_figure_has_approver",
            ),
            # Four eyes: the approver is never the person who entered the figure.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("entered_by")),
                name="figure_approver_not_enterer",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.name} {self.region_id} {self.year}: {self.value}"


# --- c13-bench ---
class IndicatorSummary(models.Model):
    """One county-level row of a computed indicator, as the last refresh counted it.

    Written only by :func:`monitoring.summary.summary_refresh` (a background task and
    ``manage.py refresh_indicator_summary``); read by ``summary.indicator_rows`` while
    fresh (``MONITORING_SUMMARY_MAX_AGE``), so a dashboard never waits for a count over
    the whole province.
    """

    query_key = models.CharField("统计口径", max_length=40)
    region_code = models.CharField("区划代码", max_length=6)
    year = models.PositiveSmallIntegerField("年度")
    key = models.CharField("分项", max_length=60, blank=True)
    value = models.DecimalField("数值", max_digits=18, decimal_places=2)
    refreshed_at = models.DateTimeField("统计时间")

    class Meta:
        verbose_name = "指标统计汇总"
        verbose_name_plural = "指标统计汇总"
        ordering = ["query_key", "region_code", "year", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["query_key", "region_code", "year", "key"],
                name="uniq_indicator_summary_row",
            )
        ]

    def __str__(self):
        return (
            f"{self.query_key} {self.region_code} {self.year} {self.key}: {self.value}"
        )


# --- end c13-bench ---
