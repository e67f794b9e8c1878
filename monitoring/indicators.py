"""Computed indicators: each one set-based GROUP BY query over the platform's records.

Every function in :data:`REGISTRY` is called as
``fn(*, regions=None, year_from=None, year_to=None, by="county")`` and returns
``list[Row]``: one row per (region, year[, key]) with the figure. ``regions`` is a region
code prefix ("52" the province, "5201" 贵阳市, a county's six digits) or None for all;
``by`` groups at county, prefecture or province level by a prefix of the region code
(``Substr``), so the number of queries never depends on the number of regions or rows.
:func:`roll_up` adds county rows up to prefectures or the province in Python.

Computed figures only: reported figures (统计报送) live in ``ReportedFigure`` and are
never added to these.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from django.db.models import CharField, Count, F, IntegerField, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat, ExtractYear, Substr

from bases.models import BaseKind, RegistryStatus, SkillMasterStudio, TrainingBase
from certificates.models import (
    Certificate,
    CertificateStatus,
    DisplayStatus,
    display_status_q,
)
from courses.models import ClassStatus, CourseKind, Enrolment, EnrolmentStatus
from subsidies.models import Claim, ClaimStatus
from training_platform.reference.models import HIGH_SKILL_LEVELS, CertificateKind


class Row(NamedTuple):
    region_code: str  # six digits, padded: "520100" for 贵阳市, "520000" the province
    year: int
    value: Decimal
    key: str = ""  # a breakdown (level, kind) where the indicator has one


PREFIX_LENGTH = {"county": 6, "prefecture": 4, "province": 2}

#: The qualifications that count as 技能人才培养 (职业资格证书, 职业技能等级证书).
SKILL_TALENT_KINDS = (CertificateKind.QUALIFICATION, CertificateKind.SKILL_LEVEL)


def pad(prefix: str) -> str:
    return prefix.ljust(6, "0")


def _grouped(
    rows,
    *,
    region_path: str,
    year_path: str,
    is_date: bool,
    value,
    key_path: str | None = None,
    regions: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    by: str = "county",
) -> list[Row]:
    """One GROUP BY (region code prefix, year[, key]) over ``rows``."""
    year_lookup = f"{year_path}__year" if is_date else year_path
    if regions:
        rows = rows.filter(**{f"{region_path}__code__startswith": regions})
    if year_from is not None:
        rows = rows.filter(**{f"{year_lookup}__gte": year_from})
    if year_to is not None:
        rows = rows.filter(**{f"{year_lookup}__lte": year_to})
    year_expr = ExtractYear(year_path) if is_date else Cast(year_path, IntegerField())
    rows = rows.annotate(
        _rc=Substr(F(f"{region_path}__code"), 1, PREFIX_LENGTH[by]),
        _yr=year_expr,
        _key=F(key_path) if key_path else Value(""),
    )
    grouped = (
        rows.values("_rc", "_yr", "_key")
        .annotate(_v=value)
        .order_by("_rc", "_yr", "_key")
    )
    return [
        Row(pad(g["_rc"]), int(g["_yr"]), Decimal(g["_v"] or 0), g["_key"] or "")
        for g in grouped
        if g["_yr"] is not None
    ]


def _enrolments_by(rows, key_path: str | None = None, **scope) -> list[Row]:
    """人次 of ``rows`` (enrolments) by the class's region and end year."""
    return _grouped(
        rows,
        region_path="training_class__region",
        year_path="training_class__end_date",
        is_date=True,
        value=Count("pk"),
        key_path=key_path,
        **scope,
    )


def _certificates_by(rows, key_path: str | None = None, **scope) -> list[Row]:
    """Certificates of ``rows`` by their region and issue year."""
    return _grouped(
        rows,
        region_path="region",
        year_path="issued_on",
        is_date=True,
        value=Count("pk"),
        key_path=key_path,
        **scope,
    )


def _finished_enrolments():
    # 人次: every enrolment in a class that finished (结业) and that was not withdrawn
    # counts once; a person trained twice counts twice.
    return Enrolment.objects.filter(
        status=EnrolmentStatus.ENROLLED, training_class__status=ClassStatus.FINISHED
    )


def training_person_times(**scope):
    """职业培训人次: enrolments in finished classes, by the class's region and end year."""
    return _enrolments_by(_finished_enrolments(), **scope)


def entrepreneurship_person_times(**scope):
    """创业培训人次: as 职业培训人次, for courses of kind 创业培训."""
    return _enrolments_by(_entrepreneurship_enrolments(), **scope)


def _entrepreneurship_enrolments():
    return _finished_enrolments().filter(
        training_class__course__kind=CourseKind.ENTREPRENEURSHIP
    )


def _skill_certificates():
    # Valid only: a superseded certificate's replacement is the one counted, and a
    # revoked one never counts.
    return Certificate.objects.filter(
        kind__in=SKILL_TALENT_KINDS, status=CertificateStatus.VALID
    )


def _high_skill_certificates():
    return _skill_certificates().filter(level__in=sorted(HIGH_SKILL_LEVELS))


def skill_talent(**scope):
    """技能人才培养: valid 职业资格/职业技能等级 certificates issued, by level (key)."""
    return _certificates_by(_skill_certificates(), key_path="level", **scope)


def high_skill_talent(**scope):
    """高技能人才培养: as 技能人才培养, 三级/高级工 and above (HIGH_SKILL_LEVELS)."""
    return _certificates_by(_high_skill_certificates(), key_path="level", **scope)


def certificates_by_kind_level(**scope):
    """Valid certificates issued, key ``kind:level`` (level empty where none)."""
    rows = Certificate.objects.filter(status=CertificateStatus.VALID).annotate(
        _kind_level=Concat("kind", Value(":"), "level")
    )
    return _certificates_by(rows, key_path="_kind_level", **scope)


def subsidy_paid(**scope):
    """补贴拨付金额（元）: paid claims' amounts by kind (key), region and year paid."""
    return _grouped(
        Claim.objects.filter(status=ClaimStatus.PAID),
        region_path="region",
        year_path="paid_on",
        is_date=True,
        value=Coalesce(Sum("amount"), Value(Decimal("0"))),
        key_path="kind",
        **scope,
    )


def training_bases(**scope):
    """Training bases not revoked, by build year, key ``kind:level``.

    For the plan's 公共实训基地 targets see ``public_training_bases``.
    """
    rows = TrainingBase.objects.exclude(status=RegistryStatus.REVOKED).annotate(
        _kind_level=Concat("kind", Value(":"), "level")
    )
    return _grouped(
        rows,
        region_path="region",
        year_path="build_year",
        is_date=False,
        value=Count("pk"),
        key_path="_kind_level",
        **scope,
    )


def master_studios(**scope):
    """技能大师工作室 not revoked, by approval year, key level."""
    return _grouped(
        SkillMasterStudio.objects.exclude(status=RegistryStatus.REVOKED),
        region_path="region",
        year_path="approval_year",
        is_date=False,
        value=Count("pk"),
        key_path="level",
        **scope,
    )


IndicatorQuery = Callable[..., list[Row]]

#: query_key → function. Indicator.query_key names one of these.
REGISTRY: dict[str, IndicatorQuery] = {
    "training_person_times": training_person_times,
    "entrepreneurship_person_times": entrepreneurship_person_times,
    "skill_talent": skill_talent,
    "high_skill_talent": high_skill_talent,
    "certificates": certificates_by_kind_level,
    "subsidy_paid": subsidy_paid,
    "training_bases": training_bases,
    "master_studios": master_studios,
}


def register(key: str, fn: IndicatorQuery) -> None:
    if key in REGISTRY and REGISTRY[key] is not fn:
        raise ValueError(f"指标口径 {key} 已登记")
    REGISTRY[key] = fn


def roll_up(rows: list[Row], *, by: str = "prefecture", keep_key=True) -> list[Row]:
    """Add rows up to prefectures or the province by region code prefix (no query)."""
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    n = PREFIX_LENGTH[by]
    for row in rows:
        key = row.key if keep_key else ""
        totals[(pad(row.region_code[:n]), row.year, key)] += row.value
    return [Row(rc, yr, v, k) for (rc, yr, k), v in sorted(totals.items())]


class Status:
    ON_TRACK = "on_track"  # 正常
    AT_RISK = "at_risk"  # 滞后
    BEHIND = "behind"  # 严重滞后
    DONE = "done"  # 已完成

    LABELS = {
        ON_TRACK: "进度正常",
        AT_RISK: "进度滞后",
        BEHIND: "严重滞后",
        DONE: "已完成",
    }


def share_of_period(period_start: int, period_end: int, on: dt.date) -> Decimal:
    """The part (0–1) of a plan period of whole years gone by the end of day ``on``."""
    start = dt.date(period_start, 1, 1)
    end = dt.date(period_end + 1, 1, 1)
    gone = (on - start).days + 1
    share = Decimal(gone) / Decimal((end - start).days)
    return min(max(share, Decimal("0")), Decimal("1"))


def indicator_status(
    actual,
    target,
    share_of_period,
    *,
    on_track_share=Decimal("0.9"),
    at_risk_share=Decimal("0.7"),
) -> str:
    """Status of ``actual`` against the time-proportional part of ``target``.

    ``share_of_period`` is the part of the plan period gone (0–1). At or above the
    target: done. Otherwise compared with ``target × share_of_period``: at least
    ``on_track_share`` of it is on track, at least ``at_risk_share`` at risk, less behind.
    """
    actual, target = Decimal(actual), Decimal(target)
    share = min(max(Decimal(str(share_of_period)), Decimal("0")), Decimal("1"))
    if actual >= target:
        return Status.DONE
    expected = target * share
    if expected <= 0 or actual >= expected * Decimal(on_track_share):
        return Status.ON_TRACK
    if actual >= expected * Decimal(at_risk_share):
        return Status.AT_RISK
    return Status.BEHIND


# --- c13-rep ---
# Queries the home page's key figures read (cms.live.key_figures) beside the plan's own.


def certificates_valid(**scope):
    """Certificates valid on the day of the count — not revoked, superseded or expired —
    training and skill-level alike, by issue year, key kind. (``certificates`` counts
    every certificate issued and not revoked or superseded, expired or not.)"""
    return _certificates_by(
        Certificate.objects.filter(display_status_q(DisplayStatus.VALID)),
        key_path="kind",
        **scope,
    )


register("certificates_valid", certificates_valid)

# --- end c13-rep ---


# --- c13-dash ---
# Breakdowns for the dashboard: by institution (a county's page lists its institutions),
# by course kind, and the plan's public training bases by level and build type. Each is
# one GROUP BY like the queries above; the key is text.


def _institution_key(rows, institution_path: str):
    return rows.annotate(_inst=Cast(institution_path, CharField()))


_CLASS_INSTITUTION = "training_class__course__institution_id"


def training_by_institution(**scope):
    """职业培训人次 by the institution running the course (key: institution id)."""
    rows = _institution_key(_finished_enrolments(), _CLASS_INSTITUTION)
    return _enrolments_by(rows, key_path="_inst", **scope)


def entrepreneurship_by_institution(**scope):
    """创业培训人次 by institution (key: institution id)."""
    rows = _institution_key(_entrepreneurship_enrolments(), _CLASS_INSTITUTION)
    return _enrolments_by(rows, key_path="_inst", **scope)


def skill_talent_by_institution(**scope):
    """技能人才培养 by issuing institution (key: institution id; empty when none)."""
    rows = _institution_key(_skill_certificates(), "issuer_id")
    return _certificates_by(rows, key_path="_inst", **scope)


def high_skill_talent_by_institution(**scope):
    """高技能人才培养 by issuing institution (key: institution id)."""
    rows = _institution_key(_high_skill_certificates(), "issuer_id")
    return _certificates_by(rows, key_path="_inst", **scope)


def training_by_course_kind(**scope):
    """职业培训人次 by course kind (key: CourseKind)."""
    return _enrolments_by(
        _finished_enrolments(), key_path="training_class__course__kind", **scope
    )


def public_training_bases(**scope):
    """公共实训基地 not revoked, by build year, key ``level:build_type`` (the plan's
    新建 / 完善提升 targets; counted as ``bases.selectors.base_target_counts`` does)."""
    rows = (
        TrainingBase.objects.filter(kind=BaseKind.PUBLIC_TRAINING)
        .exclude(status=RegistryStatus.REVOKED)
        .annotate(_level_build=Concat("level", Value(":"), "build_type"))
    )
    return _grouped(
        rows,
        region_path="region",
        year_path="build_year",
        is_date=False,
        value=Count("pk"),
        key_path="_level_build",
        **scope,
    )


register("training_by_institution", training_by_institution)
register("entrepreneurship_by_institution", entrepreneurship_by_institution)
register("skill_talent_by_institution", skill_talent_by_institution)
register("high_skill_talent_by_institution", high_skill_talent_by_institution)
register("training_by_course_kind", training_by_course_kind)
register("public_training_bases", public_training_bases)


def training_by_key_group(**scope):
    """职业培训人次 by 重点群体 (key: group code; empty for a person in none). A person in
    two groups counts in each, so the keys may add up to more than the total."""
    # Coalesced so that "none" sorts the same on every database.
    rows = _finished_enrolments().annotate(
        _group=Coalesce("trainee__key_group_memberships__group_id", Value(""))
    )
    return _enrolments_by(rows, key_path="_group", **scope)


def training_by_occupation_group(**scope):
    """职业培训人次 by the 大类 of the course's occupation (key: category code)."""
    return _enrolments_by(
        _finished_enrolments(),
        key_path="training_class__course__occupation__major_id",
        **scope,
    )


register("training_by_key_group", training_by_key_group)
register("training_by_occupation_group", training_by_occupation_group)
# --- end c13-dash ---
