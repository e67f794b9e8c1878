"""The pre-checks of claims (预审), set-based, each with a sentence a reviewer can read.

Every claim runs every check of :class:`subsidies.models.CheckCode`, in that order.
:func:`claims_check` reads what it needs for any number of claims in a bounded number
of queries (at most eight, never per claim: the standards with their occupations and
key groups, the certificates, the enrolments with their classes and courses, the
people's live claims, their key-group memberships, the occupations' names), then
checks in one pass over the claims. :func:`checks_store` records a run (three
statements and at most one UPDATE per distinct number of failed checks);
:func:`claims_recheck` does both (at approval time).

Dates in the sentences are written as ``2025-06-03`` (``str`` of a date).

A list of ids is sent as one parameter (a JSON array on SQLite, an array on
PostgreSQL), so a query's size does not depend on how many claims are checked.

What "the others" are for the rules on a person's claims: their live claims in the
database (never the claim itself), and the claims earlier in the same call that are
being filed (unsaved, draft or live), so two claims for one entitlement in one call
make the second a duplicate.

* 同一职业同一等级仅补贴一次 (``ONCE_PER_LEVEL``): another claim of the same kind,
  occupation and level has been granted (approved, in notice, in a batch, paid);
* 无重复申领 (``NO_DUPLICATE``): another open or granted claim holds the same
  entitlement (person + kind + occupation + level), or an earlier one of this call;
* 申领期限 (``CLAIM_WINDOW``): counted from the certificate's date (else the claim's
  basis date) to the day the claim was submitted (else today).
"""

import datetime as dt
import functools
from calendar import monthrange
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from certificates.models import (
    Certificate,
    DisplayStatus,
    display_status_of,
)
from courses.models import Enrolment
from subsidies.models import (
    LIVE_STATUSES,
    AccountKind,
    CheckCode,
    Claim,
    ClaimCheck,
    ClaimStatus,
    PayeeKind,
    SubsidyKind,
    SubsidyStandard,
)
from trainees.models import KeyGroupMembership
from training_platform import pii, sql
from training_platform.reference.models import (
    SKILL_LEVEL_RANK,
    Occupation,
    SkillLevel,
)

C = CheckCode

#: Claims whose subsidy has been granted: approved and every step after it.
GRANTED_STATUSES = frozenset(
    {
        ClaimStatus.APPROVED,
        ClaimStatus.IN_NOTICE,
        ClaimStatus.NOTICED,
        ClaimStatus.IN_BATCH,
        ClaimStatus.PAID,
        ClaimStatus.PAYMENT_FAILED,
    }
)
_LIVE = frozenset(LIVE_STATUSES)
# Labels by value (an enum lookup per claim costs more than the check itself).
_KIND = dict(SubsidyKind.choices)
_LEVEL = {**dict(SkillLevel.choices), "": ""}
_STATUS = dict(ClaimStatus.choices)
_ACCOUNT = dict(AccountKind.choices)
# A claim earlier in the same call counts against later ones when it is being filed.
_FILING = _LIVE | {ClaimStatus.DRAFT}


@dataclass(frozen=True, slots=True)
class CheckResult:
    code: CheckCode
    passed: bool
    message: str


# --- helpers -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; a day the month lacks becomes its last
    (2025-01-31 + 1 month = 2025-02-28; 2024-01-31 + 1 = 2024-02-29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, monthrange(year, month)[1])
    )


def _num(value) -> str:
    """72 → "72", Decimal("72.50") → "72.5"."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def _level(level: str) -> str:
    return _LEVEL[level]


def _what(occupation: str, level: str, kind: str) -> str:
    """ "电工 四级/中级工 技能提升补贴"."""
    parts = [occupation, _LEVEL[level], _KIND[kind]]
    return " ".join(p for p in parts if p)


@dataclass(slots=True)
class _Other:
    """Another claim of the person, as the rules need it."""

    pk: int | None
    position: int  # in the call (1-based) for claims of this call, else 0
    kind: str
    occupation_id: str | None
    level: str
    use_year: int
    status: str
    paid_on: dt.date | None

    def name(self) -> str:
        return f"申领 #{self.pk}" if self.pk else f"本次第 {self.position} 条申领"


# --- the checks ----------------------------------------------------------------------------


def claims_check(
    claims: Sequence[Claim], *, today: dt.date | None = None
) -> list[list[CheckResult]]:
    """Every check for every claim, aligned with ``claims`` (one list per claim).

    Claims may be unsaved (a preview before filing) or saved (a recheck: a claim never
    conflicts with itself). Claims earlier in ``claims`` count against later ones (two
    claims for one entitlement in one call: the second is a duplicate).
    """
    claims = list(claims)
    if not claims:
        return []
    today = today or timezone.localdate()

    # --- reads: a fixed number of queries, whatever the number of claims ---------------
    standard_ids = {c.standard_id for c in claims if c.standard_id}
    standards = {
        s.pk: s
        for s in SubsidyStandard.objects.filter(
            pk__in=sql.values_subquery(standard_ids)
        )
        .order_by()
        .only(
            "pk",
            "attendance_threshold",
            "claim_window_months",
            "uses_per_year",
            "extra_uses_per_year",
        )
    }
    standard_occupations: dict[int, set] = defaultdict(set)
    through = SubsidyStandard.occupations.through
    for sid, oid in through.objects.filter(
        subsidystandard_id__in=sql.values_subquery(standard_ids)
    ).values_list("subsidystandard_id", "occupation_id"):
        standard_occupations[sid].add(oid)
    standard_groups: dict[int, dict[str, str]] = defaultdict(dict)
    through = SubsidyStandard.key_groups.through
    for sid, gid, gname in (
        through.objects.filter(subsidystandard_id__in=sql.values_subquery(standard_ids))
        .order_by("keygroup__sort_order", "keygroup_id")
        .values_list("subsidystandard_id", "keygroup_id", "keygroup__name")
    ):
        standard_groups[sid][gid] = gname

    certificate_ids = {c.certificate_id for c in claims if c.certificate_id}
    certificates = {
        row[0]: row
        for row in Certificate.objects.filter(
            pk__in=sql.values_subquery(certificate_ids)
        )
        .order_by()
        .values_list("pk", "number", "status", "expires_on", "issued_on", "trainee_id")
    }
    enrolment_ids = {c.enrolment_id for c in claims if c.enrolment_id}
    enrolments = {
        row[0]: row
        for row in Enrolment.objects.filter(pk__in=sql.values_subquery(enrolment_ids))
        .order_by()
        .values_list(
            "pk",
            "attendance_hours",
            "training_class__start_date",
            "training_class__course__hours",
        )
    }

    people = {c.trainee_id for c in claims}
    in_db: dict[int, list[_Other]] = defaultdict(list)
    live_pks = set()
    for pk, trainee_id, kind, occupation_id, level, use_year, status, paid_on in (
        # Live ones kept here: a status condition in the query would make SQLite
        # search by status (it cannot tell how few people the list holds).
        Claim.objects.filter(trainee_id__in=sql.values_subquery(people))
        .order_by("pk")
        .values_list(
            "pk",
            "trainee_id",
            "kind",
            "occupation_id",
            "level",
            "use_year",
            "status",
            "paid_on",
        )
    ):
        if status not in _LIVE:
            continue
        live_pks.add(pk)
        in_db[trainee_id].append(
            _Other(pk, 0, kind, occupation_id, level, use_year, status, paid_on)
        )

    memberships: dict[int, list[tuple]] = defaultdict(list)
    if any(standard_groups.values()):
        groups = set().union(*(g.keys() for g in standard_groups.values()))
        for trainee_id, group_id, since, until in (
            KeyGroupMembership.objects.filter(
                trainee_id__in=sql.values_subquery(people),
                group_id__in=sql.values_subquery(groups, text=True),
            )
            .order_by()
            .values_list("trainee_id", "group_id", "since", "until")
        ):
            memberships[trainee_id].append((group_id, since, until))

    occupation_ids = {c.occupation_id for c in claims if c.occupation_id}
    occupation_names = dict(
        Occupation.objects.filter(
            pk__in=sql.values_subquery(occupation_ids, text=True)
        ).values_list("pk", "name")
    )

    # --- one pass over the claims --------------------------------------------------------
    earlier: dict[int, list[_Other]] = defaultdict(list)
    results = []
    for position, claim in enumerate(claims, start=1):
        standard = standards.get(claim.standard_id)
        certificate = certificates.get(claim.certificate_id)
        enrolment = enrolments.get(claim.enrolment_id)
        others = [
            o
            for o in (*in_db.get(claim.trainee_id, ()), *earlier[claim.trainee_id])
            if claim.pk is None or o.pk != claim.pk
        ]
        occupation = occupation_names.get(claim.occupation_id, "")
        results.append(
            [
                _certificate_valid(claim, certificate, today),
                _attendance(standard, enrolment),
                _key_group(
                    claim,
                    standard,
                    standard_groups.get(claim.standard_id, {}),
                    memberships.get(claim.trainee_id, ()),
                    certificate,
                    enrolment,
                ),
                _once_per_level(claim, others, occupation),
                _no_lower_level(claim, others, occupation),
                _yearly_uses(
                    claim,
                    standard,
                    standard_occupations.get(claim.standard_id, ()),
                    others,
                ),
                _claim_window(claim, standard, certificate, today),
                _no_duplicate(claim, others, occupation),
                _payee_account(claim),
            ]
        )
        if claim.status in _FILING and (claim.pk is None or claim.pk not in live_pks):
            earlier[claim.trainee_id].append(
                _Other(
                    claim.pk,
                    position,
                    claim.kind,
                    claim.occupation_id,
                    claim.level or "",
                    claim.use_year,
                    claim.status,
                    None,
                )
            )
    return results


def _no_standard(code) -> CheckResult:
    return CheckResult(code, False, "未确定适用的补贴标准，无法核对")


def _certificate_valid(claim, certificate, today) -> CheckResult:
    if not claim.certificate_id:
        return CheckResult(
            C.CERTIFICATE_VALID, True, "按培训记录申领，不涉及证书（培训合格即可）"
        )
    if certificate is None:
        return CheckResult(C.CERTIFICATE_VALID, False, "未找到申领所依据的证书")
    _pk, number, status, expires_on, _issued_on, holder_id = certificate
    if holder_id != claim.trainee_id:
        return CheckResult(
            C.CERTIFICATE_VALID, False, f"证书 {number} 的持证人不是申领人"
        )
    shown = display_status_of(status, expires_on, today)
    if shown == DisplayStatus.VALID:
        until = f"，有效期至 {expires_on}" if expires_on else ""
        return CheckResult(C.CERTIFICATE_VALID, True, f"证书 {number} 有效{until}")
    if shown == DisplayStatus.EXPIRED:
        return CheckResult(
            C.CERTIFICATE_VALID,
            False,
            f"证书 {number} 已过期（有效期至 {expires_on}）",
        )
    return CheckResult(
        C.CERTIFICATE_VALID, False, f"证书 {number} {DisplayStatus(shown).label}"
    )


def _attendance(standard, enrolment) -> CheckResult:
    if enrolment is None:
        return CheckResult(C.ATTENDANCE, True, "证书直补，不涉及培训出勤")
    if standard is None:
        return _no_standard(C.ATTENDANCE)
    _pk, attended, _start, hours = enrolment
    threshold = standard.attendance_threshold
    required = Decimal(hours) * threshold / 100
    message = (
        f"出勤 {_num(attended)} 学时，要求不少于 {_num(required)} 学时"
        f"（课程 {hours} 学时的 {_num(threshold)}%）"
    )
    return CheckResult(C.ATTENDANCE, attended >= required, message)


def _key_group(claim, standard, groups, memberships, certificate, enrolment):
    if standard is None:
        return _no_standard(C.KEY_GROUP)
    if not groups:
        return CheckResult(C.KEY_GROUP, True, "该补贴标准不限群体")
    if enrolment is not None:
        day, which = enrolment[2], "开班日期"
    elif certificate is not None:
        day, which = certificate[4], "发证日期"
    else:
        day, which = claim.basis_date, "依据日期"
    held = [
        groups[group_id]
        for group_id, since, until in memberships
        if group_id in groups and since <= day and (until is None or day <= until)
    ]
    if held:
        names = "、".join(dict.fromkeys(held))
        return CheckResult(C.KEY_GROUP, True, f"{which} {day} 属于 {names}")
    return CheckResult(
        C.KEY_GROUP,
        False,
        f"{which} {day} 不属于该标准适用的群体（{'、'.join(groups.values())}）",
    )


def _once_per_level(claim, others, occupation) -> CheckResult:
    level = claim.level or ""
    what = _what(occupation, level, claim.kind)
    for o in others:
        if (
            o.status in GRANTED_STATUSES
            and o.kind == claim.kind
            and o.occupation_id == claim.occupation_id
            and o.level == level
        ):
            if o.paid_on:
                message = f"已于 {o.paid_on} 获得 {what}（{o.name()}）"
            else:
                message = (
                    f"已获批 {what}（{o.name()}，{_STATUS[o.status]}），"
                    "同一职业同一等级仅补贴一次"
                )
            return CheckResult(C.ONCE_PER_LEVEL, False, message)
    return CheckResult(C.ONCE_PER_LEVEL, True, f"此前未获得 {what}")


def _no_lower_level(claim, others, occupation) -> CheckResult:
    level = claim.level or ""
    if not level:
        return CheckResult(C.NO_LOWER_LEVEL, True, "不分等级，不涉及等级高低")
    rank = SKILL_LEVEL_RANK[level]
    for o in others:
        if (
            o.kind == claim.kind
            and o.occupation_id == claim.occupation_id
            and o.level
            and SKILL_LEVEL_RANK[o.level] > rank
        ):
            return CheckResult(
                C.NO_LOWER_LEVEL,
                False,
                f"已申领更高等级的 {_what(occupation, o.level, o.kind)}"
                f"（{o.name()}），不再补贴较低的{_level(level)}",
            )
    return CheckResult(
        C.NO_LOWER_LEVEL, True, f"未申领同一职业高于{_level(level)}的同类补贴"
    )


def _yearly_uses(claim, standard, occupations, others) -> CheckResult:
    """Two limits: the standard's uses of its kind a year (技能提升补贴 once), and all
    training subsidies together (``SUBSIDY_YEARLY_LIMIT``, 3); listed (急需紧缺)
    occupations add the standard's extra uses to both."""
    if standard is None:
        return _no_standard(C.YEARLY_USES)
    bonus = 0
    extra = ""
    if occupations and claim.occupation_id in occupations:
        bonus = standard.extra_uses_per_year
        if bonus:
            extra = f"（含目录内职业另加 {bonus} 次）"
    kind_limit = standard.uses_per_year + bonus
    overall_limit = settings.SUBSIDY_YEARLY_LIMIT + bonus
    year = claim.use_year
    kind = _KIND[claim.kind]
    used = sum(1 for o in others if o.use_year == year)
    same = sum(1 for o in others if o.use_year == year and o.kind == claim.kind)
    if same >= kind_limit:
        return CheckResult(
            C.YEARLY_USES,
            False,
            f"{year} 年已申领{kind} {same} 次，已达该类上限 {kind_limit} 次{extra}",
        )
    if used >= overall_limit:
        return CheckResult(
            C.YEARLY_USES,
            False,
            f"{year} 年已申领各类培训补贴 {used} 次，已达上限 {overall_limit} 次{extra}",
        )
    return CheckResult(
        C.YEARLY_USES,
        True,
        f"{year} 年此前已申领 {used} 次（{kind} {same} 次），"
        f"上限合计 {overall_limit} 次、{kind} {kind_limit} 次{extra}",
    )


def _claim_window(claim, standard, certificate, today) -> CheckResult:
    if standard is None:
        return _no_standard(C.CLAIM_WINDOW)
    months = standard.claim_window_months
    if certificate is not None:
        start, which = certificate[4], "发证日期"
    else:
        start, which = claim.basis_date, "结业日期"
    ends = add_months(start, months)
    if claim.submitted_at:
        on, when = timezone.localdate(claim.submitted_at), "提交于"
    else:
        on, when = today, "今天是"
    message = f"{which} {start}，申领期限 {months} 个月，至 {ends}；{when} {on}"
    if on > ends:
        return CheckResult(C.CLAIM_WINDOW, False, message + "，已超过申领期限")
    return CheckResult(C.CLAIM_WINDOW, True, message)


def _no_duplicate(claim, others, occupation) -> CheckResult:
    level = claim.level or ""
    for o in others:
        if (
            o.kind == claim.kind
            and o.occupation_id == claim.occupation_id
            and o.level == level
        ):
            state = _STATUS[o.status]
            return CheckResult(
                C.NO_DUPLICATE,
                False,
                f"已有同一补贴的{state}申领（{o.name()}：{_what(occupation, level, o.kind)}）",
            )
    return CheckResult(C.NO_DUPLICATE, True, "无同一补贴的其他在办或已拨付申领")


def _payee_account(claim) -> CheckResult:
    account = (claim.payee_account or "").strip()
    institution = claim.payee_kind == PayeeKind.INSTITUTION
    if not claim.payee_name.strip():
        return CheckResult(C.PAYEE_ACCOUNT, False, "未填写收款人")
    if not account:
        whose = "机构基本账户" if institution else "收款账号"
        return CheckResult(C.PAYEE_ACCOUNT, False, f"未填写{whose}")
    if institution and not claim.institution_id:
        return CheckResult(C.PAYEE_ACCOUNT, False, "补贴对象为培训机构，但未指明机构")
    return CheckResult(
        C.PAYEE_ACCOUNT,
        True,
        f"收款人 {claim.payee_shown}，"
        f"{_ACCOUNT.get(claim.account_kind, '')} {pii.mask_account(account)}",
    )


# --- storing a run ---------------------------------------------------------------------------


@transaction.atomic
def checks_store(
    claims: Sequence[Claim],
    results: Sequence[Sequence[CheckResult]],
    *,
    at: dt.datetime | None = None,
) -> None:
    """Replace each saved claim's ClaimCheck rows and set its ``checks_failed``.

    Unsaved claims are skipped. Statements: one DELETE, one INSERT (``executemany``)
    and one UPDATE per distinct number of failed checks; ``checks_failed`` is also set
    on the given instances.
    """
    if len(claims) != len(results):
        raise ValueError("claims and results must be aligned")
    at = at or timezone.now()
    rows = []
    by_failed: dict[int, list[int]] = defaultdict(list)
    done = set()
    for claim, checks in zip(claims, results, strict=True):
        if claim.pk is None or claim.pk in done:
            continue
        done.add(claim.pk)
        failed = sum(1 for r in checks if not r.passed)
        claim.checks_failed = failed
        by_failed[failed].append(claim.pk)
        rows.extend((claim.pk, str(r.code), r.passed, r.message[:300]) for r in checks)
    if not done:
        return
    # No signals or cascades on ClaimCheck: Django deletes them in one statement.
    ClaimCheck.objects.filter(claim_id__in=sql.values_subquery(done)).delete()
    insert = sql.Insert(
        ClaimCheck, ("claim", "code", "passed", "message"), values={"checked_at": at}
    )
    with connection.cursor() as cursor:
        insert.run(cursor, rows)
    for failed, pks in by_failed.items():
        Claim.objects.filter(pk__in=sql.values_subquery(pks)).update(
            checks_failed=failed
        )


def claims_recheck(
    claims: Sequence[Claim], *, today: dt.date | None = None
) -> list[list[CheckResult]]:
    """Check and store (at approval time)."""
    results = claims_check(claims, today=today)
    checks_store(claims, results)
    return results
