"""Reported figures (统计报送): entered by one bureau person, approved by another."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from monitoring.models import FigureStatus, Indicator, Measure, ReportedFigure
from training_platform import access
from training_platform.audit.services import audit_record
from training_platform.reference.models import Region
from training_platform.roles import Role


def _bureau_covers(user, region: Region) -> bool:
    scope = access.scope_for(user)
    if scope.is_superuser:
        return True
    return any(region.code.startswith(p) for p in scope.region_prefixes(Role.BUREAU))


def _snapshot(figure: ReportedFigure) -> dict:
    return {
        "indicator": figure.indicator.code,
        "region": figure.region_id,
        "year": figure.year,
        "value": str(figure.value),
        "source": figure.source,
        "source_date": figure.source_date.isoformat(),
        "status": figure.status,
    }


@transaction.atomic
def enter_reported_figure(
    *,
    actor,
    indicator: Indicator,
    region: Region,
    year: int,
    value: Decimal,
    source: str,
    source_date: dt.date,
    request=None,
) -> ReportedFigure:
    """Enter (or correct, while a draft) the reported figure of an indicator."""
    if indicator.measure != Measure.REPORTED:
        raise ValidationError("该指标由平台统计，不能报送数据。")
    if not _bureau_covers(actor, region):
        raise PermissionDenied("只有该地区人社部门的工作人员可以报送数据。")
    if not indicator.period_start <= year <= indicator.period_end:
        raise ValidationError({"year": "年度不在规划期内。"})
    value = Decimal(value)
    if value < 0:
        raise ValidationError({"value": "数值不能为负数。"})
    if not source.strip():
        raise ValidationError({"source": "请填写数据来源。"})
    figure = (
        ReportedFigure.objects.select_for_update()
        .filter(indicator=indicator, region=region, year=year)
        .first()
    )
    before = _snapshot(figure) if figure else None
    if figure and figure.status == FigureStatus.APPROVED:
        raise ValidationError("该数据已审核，不能修改。")
    if figure is None:
        figure = ReportedFigure(indicator=indicator, region=region, year=year)
    figure.value = value
    figure.source = source.strip()
    figure.source_date = source_date
    figure.entered_by = actor
    figure.save()
    audit_record(
        actor=actor,
        action="monitoring.figure_entered",
        obj=figure,
        before=before,
        after=_snapshot(figure),
        request=request,
    )
    return figure


@transaction.atomic
def approve_reported_figure(
    *, actor, figure: ReportedFigure, request=None
) -> ReportedFigure:
    """Approve a draft figure; the approver is a bureau person other than the enterer."""
    figure = ReportedFigure.objects.select_for_update().get(pk=figure.pk)
    if figure.status != FigureStatus.DRAFT:
        raise ValidationError("该数据已审核。")
    if actor.pk == figure.entered_by_id:
        raise PermissionDenied("报送数据须由填报人以外的人审核。")
    if not _bureau_covers(actor, figure.region):
        raise PermissionDenied("只有该地区人社部门的工作人员可以审核数据。")
    before = _snapshot(figure)
    figure.status = FigureStatus.APPROVED
    figure.approved_by = actor
    figure.approved_at = timezone.now()
    figure.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(
        actor=actor,
        action="monitoring.figure_approved",
        obj=figure,
        before=before,
        after=_snapshot(figure),
        request=request,
    )
    return figure


def approved_figures(*, indicator: Indicator, regions: str | None = None):
    """Approved reported figures of ``indicator`` (drafts never count)."""
    rows = ReportedFigure.objects.filter(
        indicator=indicator, status=FigureStatus.APPROVED
    )
    if regions:
        rows = rows.filter(region__code__startswith=regions)
    return rows.order_by("region_id", "year")


# --- c13-rep ---


@transaction.atomic
def reject_reported_figure(
    *, actor, figure: ReportedFigure, reason: str, request=None
) -> None:
    """退回 a draft figure: a second bureau person finds it wrong and sends it back.

    The draft is removed (drafts never count, and the enterer enters it again, corrected);
    the audit log keeps what it said, who entered it and why it was sent back.
    """
    figure = (
        ReportedFigure.objects.select_for_update()
        .select_related("indicator", "region")
        .get(pk=figure.pk)
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因。"})
    if figure.status != FigureStatus.DRAFT:
        raise ValidationError("该数据已审核，不能退回。")
    if actor.pk == figure.entered_by_id:
        raise PermissionDenied("不能退回自己报送的数据，可以直接修改。")
    if not _bureau_covers(actor, figure.region):
        raise PermissionDenied("只有该地区人社部门的工作人员可以退回数据。")
    before = _snapshot(figure) | {"entered_by": figure.entered_by_id}
    audit_record(
        actor=actor,
        action="monitoring.figure_rejected",
        obj=figure,
        before=before,
        after=None,
        reason=reason,
        request=request,
    )
    figure.delete()


# --- end c13-rep ---
