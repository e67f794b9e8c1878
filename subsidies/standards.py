"""补贴标准: which standard applies to a case, and saving one without overlaps.

A standard applies to a case (kind, payee, certificate kind, level, occupation, region,
day) when it is active, its kind / payee / certificate kind / level are the case's (a
blank level matches only a blank level), it is valid on the day, its region is the
province or the case's prefecture, and its occupation list (and key-group list) is
empty or holds the case's. The most specific standard wins: a prefecture's over the
province's, one listing occupations over one that does not, one listing key groups over
one that does not.

Two standards of one case (same kind, payee, certificate kind, level and region) may
not overlap: their date ranges intersect and their occupation lists intersect (two empty
lists intersect; an empty list and a listed one do not, the listed one is the more
specific override), and likewise their key-group lists. A standard claims rest on
keeps its case (kind, payee, certificate kind, level, region) and its dates keep
covering the claims' basis dates; its amount may change (claims keep their own).
"""

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet

from subsidies.models import SubsidyStandard
from training_platform.audit.services import audit_record
from training_platform.reference.models import (
    KeyGroup,
    Occupation,
    Region,
    RegionLevel,
)

PROVINCE_CODE = "520000"


def prefecture_code(region_code: str) -> str:
    """The prefecture (市州) code of a region code: 520102 -> 520100."""
    return (region_code or "")[:4] + "00"


@dataclasses.dataclass(frozen=True)
class Case:
    """What a standard is looked up by. ``occupation_id`` is the occupation code."""

    kind: str
    payee: str
    certificate_kind: str
    level: str
    occupation_id: str | None
    region_code: str
    day: dt.date
    #: The person's key groups (codes). A standard listing key groups applies only to
    #: a case holding one of them.
    key_groups: frozenset[str] = frozenset()

    def key(self) -> tuple:
        return (self.kind, self.payee, self.certificate_kind, self.level or "")


def _candidates(cases: Sequence[Case]) -> QuerySet:
    """Active standards of the cases' keys and regions, occupations and groups prefetched."""
    keys = {case.key() for case in cases}
    regions = {PROVINCE_CODE} | {prefecture_code(c.region_code) for c in cases}
    days = [case.day for case in cases]
    key_q = Q()
    for kind, payee, certificate_kind, level in keys:
        key_q |= Q(
            kind=kind, payee=payee, certificate_kind=certificate_kind, level=level
        )
    return (
        SubsidyStandard.objects.filter(key_q, is_active=True, region_id__in=regions)
        .filter(valid_from__lte=max(days))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=min(days)))
        .prefetch_related(
            Prefetch("occupations", queryset=Occupation.objects.only("code")),
            Prefetch("key_groups", queryset=KeyGroup.objects.only("code")),
        )
    )


def _specificity(standard: SubsidyStandard) -> tuple:
    return (
        standard.region_id != PROVINCE_CODE,
        bool(standard._occupation_ids),
        bool(standard._key_group_codes),
        standard.valid_from,
        standard.pk,
    )


def standards_for(cases: Sequence[Case]) -> list[SubsidyStandard | None]:
    """The standard applying to each case (None when none does), in a fixed number of queries.

    Three queries for any number of cases: the candidate standards, their occupations,
    their key groups; the matching is done in Python.
    """
    cases = list(cases)
    if not cases:
        return []
    by_key: dict[tuple, list[SubsidyStandard]] = {}
    for standard in _candidates(cases):
        standard._occupation_ids = frozenset(o.pk for o in standard.occupations.all())
        standard._key_group_codes = frozenset(g.pk for g in standard.key_groups.all())
        key = (
            standard.kind,
            standard.payee,
            standard.certificate_kind,
            standard.level or "",
        )
        by_key.setdefault(key, []).append(standard)
    for standards in by_key.values():
        standards.sort(key=_specificity, reverse=True)

    found: list[SubsidyStandard | None] = []
    for case in cases:
        regions = {PROVINCE_CODE, prefecture_code(case.region_code)}
        found.append(
            next(
                (
                    standard
                    for standard in by_key.get(case.key(), ())
                    if standard.region_id in regions
                    and standard.covers(case.day)
                    and (
                        not standard._occupation_ids
                        or case.occupation_id in standard._occupation_ids
                    )
                    and (
                        not standard._key_group_codes
                        or standard._key_group_codes & set(case.key_groups)
                    )
                ),
                None,
            )
        )
    return found


def standard_for(case: Case) -> SubsidyStandard | None:
    return standards_for([case])[0]


def _ids(values: Iterable) -> set[str]:
    return {getattr(value, "pk", value) for value in values or ()}


def _list_overlap_q(relation: str, ids: Collection[str]) -> Q:
    """Standards whose ``relation`` list overlaps ``ids`` (empty overlaps only empty)."""
    if ids:
        return Q(**{f"{relation}__in": list(ids)})
    return Q(**{f"{relation}__isnull": True})


def standard_overlaps(
    standard: SubsidyStandard,
    occupation_ids: Iterable = (),
    key_group_codes: Iterable = (),
) -> QuerySet:
    """Other standards of ``standard``'s case that it would overlap.

    Same kind, payee, certificate kind, level and region; date ranges intersecting;
    occupation lists intersecting and key-group lists intersecting (two empty lists
    intersect; an empty list and a listed one do not).
    """
    occupation_ids = _ids(occupation_ids)
    key_group_codes = _ids(key_group_codes)
    overlapping = SubsidyStandard.objects.filter(
        kind=standard.kind,
        payee=standard.payee,
        certificate_kind=standard.certificate_kind,
        level=standard.level or "",
        region_id=standard.region_id,
        is_active=True,
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=standard.valid_from))
    if standard.valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=standard.valid_to)
    if standard.pk:
        overlapping = overlapping.exclude(pk=standard.pk)
    matching = overlapping.filter(
        _list_overlap_q("occupations", occupation_ids)
    ).values("pk")
    matching = overlapping.filter(pk__in=matching).filter(
        _list_overlap_q("key_groups", key_group_codes)
    )
    return (
        SubsidyStandard.objects.filter(pk__in=matching.values("pk"))
        .select_related("region")
        .order_by("valid_from", "pk")
    )


def _period(standard: SubsidyStandard) -> str:
    end = standard.valid_to.isoformat() if standard.valid_to else "长期"
    return f"{standard.valid_from.isoformat()} 至 {end}"


def _money(amount) -> str:
    return f"{Decimal(amount):,.2f} 元" if amount is not None else ""


#: What a claim was matched by: a standard claims rest on keeps these.
_CASE_FIELDS = ("kind", "payee", "certificate_kind", "level", "region_id")


def _refuse_moving_claims(standard: SubsidyStandard, old: dict) -> None:
    """A standard claims rest on keeps its case, and its dates keep covering them."""
    claims = standard.claims.all()
    moved = [name for name in _CASE_FIELDS if getattr(standard, name) != old[name]]
    if moved and claims.exists():
        raise ValidationError(
            "已有申领按此标准核定，不能再修改补贴类型、补贴对象、证书类型、等级或适用地区；"
            "请新建一条标准，并为本标准填写失效日期。"
        )
    outside = Q(basis_date__lt=standard.valid_from)
    if standard.valid_to is not None:
        outside |= Q(basis_date__gt=standard.valid_to)
    stranded = claims.filter(outside).order_by("basis_date").first()
    if stranded is not None:
        raise ValidationError(
            f"已有依据日期为 {stranded.basis_date.isoformat()} 的申领按此标准核定，"
            "有效期须包含该日期。"
        )


@transaction.atomic
def standard_save(
    *,
    standard: SubsidyStandard,
    occupations: Iterable = (),
    key_groups: Iterable = (),
    actor=None,
    request=None,
) -> SubsidyStandard:
    """Check, save and audit a standard with its occupation and key-group lists.

    Refuses (ValidationError, nothing written) a standard overlapping another of the
    same case. An inactive standard is not checked for overlaps (it applies to nothing).
    """
    occupations = list(occupations or ())
    key_groups = list(key_groups or ())
    standard.level = standard.level or ""
    standard.full_clean()
    region = (
        Region.objects.select_for_update().filter(pk=standard.region_id).first()
    )  # one save per region at a time: two overlapping saves cannot both pass
    if region is None or region.level not in (
        RegionLevel.PROVINCE,
        RegionLevel.PREFECTURE,
    ):
        raise ValidationError({"region": "补贴标准的适用地区应为全省或某一市（州）。"})
    before = None
    if standard.pk:
        old = (
            SubsidyStandard.objects.select_for_update()
            .filter(pk=standard.pk)
            .values("amount", "valid_from", "valid_to", "is_active", *_CASE_FIELDS)
            .first()
        )
        if old:
            _refuse_moving_claims(standard, old)
            before = {
                "amount": str(old["amount"]),
                "valid_from": old["valid_from"].isoformat(),
                "valid_to": old["valid_to"].isoformat() if old["valid_to"] else None,
                "is_active": old["is_active"],
            }
    if standard.is_active:
        clash = standard_overlaps(standard, occupations, key_groups).first()
        if clash is not None:
            raise ValidationError(
                f"与已有标准“{clash.name}”（{clash.region.name}，{_period(clash)}，"
                f"{_money(clash.amount)}）的适用范围和有效期重叠，请调整有效期或适用职业后再保存。"
            )
    standard.save()
    standard.occupations.set(occupations)
    standard.key_groups.set(key_groups)
    audit_record(
        actor=actor,
        action="subsidies.standard.saved",
        obj=standard,
        before=before,
        after={
            "amount": str(standard.amount),
            "valid_from": standard.valid_from.isoformat(),
            "valid_to": standard.valid_to.isoformat() if standard.valid_to else None,
            "is_active": standard.is_active,
            "occupations": sorted(_ids(occupations)),
            "key_groups": sorted(_ids(key_groups)),
        },
        request=request,
    )
    return standard
