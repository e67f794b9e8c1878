"""Filing claims (补贴申领): by the trainee for themself, or by an institution for a class.

A claim is planned (what it rests on, the standard and the amount), created as a draft,
checked (every pre-check stored, ``subsidies.checks``), and submitted through the
workflow (``subsidies.workflow.claims_move``). Submitting takes one of the person's
yearly use slots: the lowest free slot of (trainee, use_year), assigned with the
trainees' rows locked in pk order right before the status changes; the database's
unique constraints on live claims stand behind it. A claim with failed checks is still
filed: the reviewing bureau sees the failures (an override is theirs to write).

Everything for a class is set-based: a bounded number of queries for any class size.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import (
    Certificate,
    CertificateStatus,
    DisplayStatus,
    display_status_of,
)
from courses.models import (
    AssessmentResult,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    TrainingClass,
)
from subsidies import checks, standards, workflow
from subsidies.models import (
    LIVE_Q,
    MAX_USE_SLOTS,
    AccountKind,
    Claim,
    ClaimStatus,
    FiledBy,
    PayeeKind,
    SubsidyKind,
    payee_account_hash,
)
from trainees.models import KeyGroupMembership, Trainee
from training_platform import access, pii
from training_platform.audit.services import audit_record_many
from training_platform.reference.models import CertificateKind
from training_platform.roles import Role

ALREADY_CLAIMED = "已有在办或已拨付的同一补贴（同一职业、同一等级），不再重复申领。"

#: What a trainee may file for themself, in the order tried (技能提升补贴, then 证书直补,
#: which is the 职业培训补贴 paid to the person on a certificate).
SELF_KINDS = (SubsidyKind.SKILL_UPGRADE, SubsidyKind.TRAINING)
SELF_ACCOUNT_KINDS = (AccountKind.BANK, AccountKind.SOCIAL_SECURITY)

#: A class filing rests on the trainee's certificate from the class, the best first.
CERTIFICATE_PREFERENCE = (
    CertificateKind.SKILL_LEVEL,
    CertificateKind.QUALIFICATION,
    CertificateKind.SPECIAL_ABILITY,
    CertificateKind.TRAINING,
)

ACCOUNT_RE = re.compile(r"^\d{8,32}$")


def account_clean(account: str, *, institution: bool = False) -> str:
    """An account number without spaces or dashes; ValidationError if it is no number."""
    value = re.sub(r"[\s-]", "", account or "")
    if not value:
        message = "请填写机构基本账户账号。" if institution else _("请填写收款账号。")
        raise ValidationError({"account": message})
    if not ACCOUNT_RE.match(value):
        message = (
            "机构基本账户账号应为 8 至 32 位数字。"
            if institution
            else _("收款账号应为 8 至 32 位数字。")
        )
        raise ValidationError({"account": message})
    return value


# --- trainee: one's own certificate ------------------------------------------------------


def certificate_region(certificate: Certificate):
    """Whose bureau reviews: the class's region when the certificate has an enrolment."""
    if certificate.enrolment_id:
        return certificate.enrolment.training_class.region
    return certificate.region


def _certificate_valid(certificate: Certificate, today: dt.date) -> bool:
    """Valid as a verifier is told (not revoked, superseded or expired)."""
    shown = display_status_of(certificate.status, certificate.expires_on, today)
    return shown == DisplayStatus.VALID


def key_groups_of(trainee_ids: Iterable[int]):
    """``fn(trainee_id, day) -> frozenset of group codes`` held that day (one query)."""
    held = defaultdict(list)
    for m in KeyGroupMembership.objects.filter(trainee_id__in=list(trainee_ids)):
        held[m.trainee_id].append(m)

    def on(trainee_id: int, day: dt.date) -> frozenset:
        return frozenset(m.group_id for m in held[trainee_id] if m.active_on(day))

    return on


def self_options(certificates: Sequence[Certificate]) -> list:
    """For each certificate, the (kind, standard) a trainee's own claim would use, or None.

    One call of ``standards_for`` for all certificates and kinds.
    """
    groups = key_groups_of({c.trainee_id for c in certificates})
    cases = [
        standards.Case(
            kind=kind,
            payee=PayeeKind.PERSON,
            certificate_kind=c.kind,
            level=c.level,
            occupation_id=c.occupation_id,
            region_code=certificate_region(c).code,
            day=c.issued_on,
            key_groups=groups(c.trainee_id, c.issued_on),
        )
        for c in certificates
        for kind in SELF_KINDS
    ]
    found = standards.standards_for(cases) if cases else []
    options = []
    n = len(SELF_KINDS)
    for i, _certificate in enumerate(certificates):
        option = None
        for j, kind in enumerate(SELF_KINDS):
            standard = found[i * n + j]
            if standard is not None:
                option = (kind, standard)
                break
        options.append(option)
    return options


def live_entitlements(trainee_ids: Iterable[int], kinds: Iterable[str]) -> set:
    """(trainee, kind, occupation, level) of every live claim of these people."""
    return set(
        Claim.objects.filter(LIVE_Q, trainee_id__in=list(trainee_ids))
        .filter(kind__in=list(kinds))
        .values_list("trainee_id", "kind", "occupation_id", "level")
    )


@transaction.atomic
def claim_file_self(
    *,
    trainee: Trainee,
    certificate: Certificate,
    account_kind: str,
    account: str,
    actor,
    submit: bool = True,
    request=None,
) -> Claim:
    """The trainee files for their own certificate, to their own account or card."""
    if actor is None or not actor.is_authenticated or trainee.user_id != actor.pk:
        raise PermissionDenied(_("只能为本人申领补贴。"))
    if certificate.trainee_id != trainee.pk:
        raise PermissionDenied(_("只能为本人的证书申领补贴。"))
    if account_kind not in SELF_ACCOUNT_KINDS:
        raise ValidationError({"account_kind": _("请选择本人银行账户或社会保障卡。")})
    account = account_clean(account)
    certificate = Certificate.objects.select_related(
        "region", "enrolment__training_class__region", "enrolment__training_class"
    ).get(pk=certificate.pk)
    if not _certificate_valid(certificate, timezone.localdate()):
        raise ValidationError(_("该证书已撤销、换发或过期，不能申领补贴。"))
    (option,) = self_options([certificate])
    if option is None:
        raise ValidationError(_("该证书没有适用的补贴标准。"))
    kind, standard = option
    _lock_trainees([trainee.pk])
    if live_entitlements([trainee.pk], [kind]) & {
        (trainee.pk, kind, certificate.occupation_id, certificate.level)
    }:
        raise ValidationError(_("该证书的补贴已申领（在办或已拨付），不能重复申领。"))
    claim = Claim(
        trainee=trainee,
        kind=kind,
        standard=standard,
        amount=standard.amount,
        certificate=certificate,
        enrolment_id=certificate.enrolment_id,
        occupation_id=certificate.occupation_id,
        level=certificate.level,
        basis_date=certificate.issued_on,
        use_year=certificate.issued_on.year,
        region=certificate_region(certificate),
        institution=None,
        filed_by=FiledBy.TRAINEE,
        payee_kind=PayeeKind.PERSON,
        payee_name=trainee.name,
        account_kind=account_kind,
        payee_account=account,
        status=ClaimStatus.DRAFT,
        created_by=actor,
    )
    claim.full_clean(exclude=["created_by"])
    (claim,) = _create([claim], actor=actor, request=request)
    if submit:
        claims_submit(claims=[claim], actor=actor, request=request, locked=True)
        claim.refresh_from_db()
    return claim


# --- institution: a class's passed trainees -----------------------------------------------


@dataclass
class PlannedClaim:
    """One person of a class filing: the claim that would be filed, or why not."""

    enrolment: Enrolment
    claim: Claim | None = None
    skipped: str = ""  # why nobody files for this person now
    checks: list = field(default_factory=list)  # CheckResult, when a claim is planned

    @property
    def trainee(self) -> Trainee:
        return self.enrolment.trainee

    @property
    def failed_checks(self) -> list:
        return [c for c in self.checks if not c.passed]


@dataclass
class ClassPlan:
    training_class: TrainingClass
    kind: str
    rows: list[PlannedClaim]

    @property
    def planned(self) -> list[PlannedClaim]:
        return [r for r in self.rows if r.claim is not None]

    @property
    def skipped(self) -> list[PlannedClaim]:
        return [r for r in self.rows if r.claim is None]

    @property
    def count(self) -> int:
        return len(self.planned)

    @property
    def total(self) -> Decimal:
        return sum((r.claim.amount for r in self.planned), Decimal("0.00"))


@dataclass
class FilingResult:
    claims: list[Claim]
    skipped: list[PlannedClaim]

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.claims), Decimal("0.00"))


def may_file_for_class(actor, training_class: TrainingClass) -> bool:
    """Staff of the class's institution (the filer the workflow knows)."""
    if actor is None or not actor.is_authenticated:
        return False
    ids = access.scope_for(actor).institution_ids(Role.INSTITUTION)
    return training_class.course.institution_id in ids


def class_filing_readiness(training_class: TrainingClass) -> str:
    """Why a class cannot be filed for now ('' when it can)."""
    if training_class.status != ClassStatus.FINISHED:
        return "培训班结业后才能申领培训补贴。"
    if not _passed(training_class).exists():
        return "本班没有考核合格的学员。"
    return ""


def _passed(training_class: TrainingClass):
    return Enrolment.objects.filter(
        training_class=training_class,
        status=EnrolmentStatus.ENROLLED,
        result=AssessmentResult.PASSED,
    )


def _class_plan(
    *,
    training_class: TrainingClass,
    kind: str,
    account: str,
    enrolment_ids=None,
    actor=None,
) -> ClassPlan:
    """The claims a class filing would make, person by person (bounded queries)."""
    course = training_class.course
    institution = course.institution
    enrolments = _passed(training_class).select_related("trainee")
    if enrolment_ids is not None:
        enrolments = enrolments.filter(pk__in=list(enrolment_ids))
    enrolments = list(enrolments.order_by("trainee__name", "pk"))
    for e in enrolments:
        e.training_class = training_class
    by_enrolment = defaultdict(list)
    certificates = Certificate.objects.filter(
        enrolment__in=[e.pk for e in enrolments], status=CertificateStatus.VALID
    )
    today = timezone.localdate()
    for c in certificates:
        if c.expires_on is None or c.expires_on >= today:
            by_enrolment[c.enrolment_id].append(c)
    for found in by_enrolment.values():
        found.sort(key=lambda c: CERTIFICATE_PREFERENCE.index(c.kind))

    # Each person: their certificates in order, then the class result itself; for each,
    # a standard paying the institution, then one paying the person.
    bases: list[list[tuple]] = []
    cases = []
    groups = key_groups_of(e.trainee_id for e in enrolments)
    for e in enrolments:
        options = [
            (c, c.kind, c.level, c.occupation_id, c.issued_on)
            for c in by_enrolment.get(e.pk, [])
        ]
        options.append(
            (
                None,
                CertificateKind.TRAINING,
                course.target_level,
                course.occupation_id,
                training_class.end_date,
            )
        )
        person = []
        for certificate, cert_kind, level, occupation_id, day in options:
            for payee in (PayeeKind.INSTITUTION, PayeeKind.PERSON):
                person.append((certificate, level, occupation_id, day, payee))
                cases.append(
                    standards.Case(
                        kind=kind,
                        payee=payee,
                        certificate_kind=cert_kind,
                        level=level,
                        occupation_id=occupation_id,
                        region_code=training_class.region_id,
                        day=day,
                        key_groups=groups(e.trainee_id, day),
                    )
                )
        bases.append(person)
    found = standards.standards_for(cases) if cases else []
    held = live_entitlements([e.trainee_id for e in enrolments], [kind])

    rows = []
    at = 0
    planned_keys = set()
    for e, person in zip(enrolments, bases, strict=True):
        chosen = None
        for i, basis in enumerate(person):
            if found[at + i] is not None:
                chosen = (basis, found[at + i])
                break
        at += len(person)
        row = PlannedClaim(enrolment=e)
        rows.append(row)
        if chosen is None:
            row.skipped = "没有适用的补贴标准。"
            continue
        (certificate, level, occupation_id, day, payee), standard = chosen
        key = (e.trainee_id, kind, occupation_id, level)
        if key in held or key in planned_keys:
            row.skipped = ALREADY_CLAIMED
            continue
        planned_keys.add(key)
        if payee == PayeeKind.INSTITUTION:
            payee_name, account_kind, payee_account = (
                institution.name,
                AccountKind.INSTITUTION,
                account,
            )
        else:
            payee_name, account_kind, payee_account = (
                e.trainee.name,
                AccountKind.BANK,
                (e.trainee.bank_account or "").replace(" ", ""),
            )
        row.claim = Claim(
            trainee=e.trainee,
            kind=kind,
            standard=standard,
            amount=standard.amount,
            certificate=certificate,
            enrolment=e,
            occupation_id=occupation_id,
            level=level or "",
            basis_date=day,
            use_year=day.year,
            region_id=training_class.region_id,
            institution=institution,
            filed_by=FiledBy.INSTITUTION,
            payee_kind=payee,
            payee_name=payee_name,
            account_kind=account_kind,
            payee_account=payee_account,
            status=ClaimStatus.DRAFT,
            created_by=actor,
        )
    return ClassPlan(training_class=training_class, kind=kind, rows=rows)


def _class_checked(actor, training_class) -> TrainingClass:
    training_class = (
        TrainingClass.objects.select_related("course__institution", "region")
        .filter(pk=training_class.pk)
        .first()
    )
    if training_class is None or not may_file_for_class(actor, training_class):
        raise PermissionDenied("只有本班所属机构的工作人员可以为本班申领补贴。")
    if training_class.status != ClassStatus.FINISHED:
        raise ValidationError("培训班结业后才能申领培训补贴。")
    return training_class


def claim_preview_for_class(
    *,
    training_class: TrainingClass,
    actor,
    enrolment_ids=None,
    kind: str = SubsidyKind.TRAINING,
    account: str = "",
) -> ClassPlan:
    """The plan before filing: each person with the amount and every check's result."""
    training_class = _class_checked(actor, training_class)
    plan = _class_plan(
        training_class=training_class,
        kind=kind,
        account=(account or "").replace(" ", ""),
        enrolment_ids=enrolment_ids,
        actor=actor,
    )
    planned = plan.planned
    if planned:
        results = checks.claims_check([r.claim for r in planned])
        for row, row_checks in zip(planned, results, strict=True):
            row.checks = list(row_checks)
    return plan


@transaction.atomic
def claims_file_for_class(
    *,
    training_class: TrainingClass,
    actor,
    account: str,
    enrolment_ids=None,
    kind: str = SubsidyKind.TRAINING,
    submit: bool = True,
    request=None,
) -> FilingResult:
    """An institution files for its class's passed trainees (one, some, or all)."""
    training_class = _class_checked(actor, training_class)
    if kind not in SubsidyKind.values:
        raise ValidationError({"kind": "请选择补贴类型。"})
    account = account_clean(account, institution=True)
    trainee_ids = list(
        _passed(training_class)
        .filter(**({"pk__in": list(enrolment_ids)} if enrolment_ids else {}))
        .values_list("trainee_id", flat=True)
    )
    if not trainee_ids:
        raise ValidationError("没有可申领的学员（须考核合格且仍在读）。")
    _lock_trainees(trainee_ids)
    plan = _class_plan(
        training_class=training_class,
        kind=kind,
        account=account,
        enrolment_ids=enrolment_ids,
        actor=actor,
    )
    claims = [r.claim for r in plan.planned]
    if claims:
        claims = _create(claims, actor=actor, request=request)
        if submit:
            claims = claims_submit(
                claims=claims, actor=actor, request=request, locked=True
            )
    return FilingResult(claims=claims, skipped=plan.skipped)


# --- creating, submitting, withdrawing -----------------------------------------------------


def _create(claims: list[Claim], *, actor, request=None) -> list[Claim]:
    """Insert drafts (one INSERT), run and store every check, audit the filing."""
    for claim in claims:
        claim.payee_account_hash = payee_account_hash(claim.payee_account)
    created = Claim.objects.bulk_create(claims)
    checks.checks_store(created, checks.claims_check(created))
    audit_record_many(
        actor=actor,
        action="subsidies.claim.create",
        objects=created,
        after=lambda c: {
            "kind": c.kind,
            "amount": str(c.amount),
            "standard": c.standard_id,
            "certificate": c.certificate_id,
            "enrolment": c.enrolment_id,
            "filed_by": c.filed_by,
        },
        request=request,
    )
    return created


def _lock_trainees(trainee_ids: Iterable[int]) -> None:
    """Lock the people's rows in pk order: their use slots are assigned one at a time."""
    list(
        Trainee.objects.select_for_update()
        .filter(pk__in=sorted(set(trainee_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _assign_slots(claims: list[Claim]) -> list[Claim]:
    """Give each claim without a slot the lowest free slot of its person's year.

    Claims whose person has no slot left are returned (they are not submitted).
    """
    needing = [c for c in claims if c.use_slot is None]
    if not needing:
        return []
    taken = defaultdict(set)
    for trainee_id, year, slot in Claim.objects.filter(
        LIVE_Q, trainee_id__in={c.trainee_id for c in needing}
    ).values_list("trainee_id", "use_year", "use_slot"):
        taken[(trainee_id, year)].add(slot)
    full = []
    for claim in needing:
        used = taken[(claim.trainee_id, claim.use_year)]
        free = [s for s in range(1, MAX_USE_SLOTS + 1) if s not in used]
        if not free:
            full.append(claim)
            continue
        claim.use_slot = free[0]
        used.add(free[0])
    slotted = [c for c in needing if c.use_slot is not None]
    if slotted:
        Claim.objects.bulk_update(slotted, ["use_slot"])
    return full


@transaction.atomic
def claims_submit(
    *, claims: list[Claim], actor, request=None, locked: bool = False
) -> list[Claim]:
    """Draft (or returned) → submitted, taking a use slot each (set-based).

    With no slot left for a person the whole set is refused (a ValidationError naming
    them); a concurrent filing that took the slot or the entitlement first is refused
    by the database and answered the same way.
    """
    if not claims:
        return []
    if not locked:
        _lock_trainees(c.trainee_id for c in claims)
    full = _assign_slots(claims)
    if full:
        names = "、".join(sorted({pii.mask_name(c.payee_name) for c in full}))
        no_slot = _("本年度的补贴次数已用完（每人每年最多 %(most)s 次）。")
        raise ValidationError(f"{names}：{no_slot % {'most': MAX_USE_SLOTS}}")
    try:
        with transaction.atomic():
            moved = workflow.claims_move(
                claims=claims,
                to=ClaimStatus.SUBMITTED,
                actor=actor,
                changes={"submitted_at": timezone.now()},
                after=lambda c: {"use_slot": c.use_slot, "use_year": c.use_year},
                request=request,
            )
    except IntegrityError:
        raise ValidationError(
            _(
                "提交未成功：同一补贴或本年度的补贴次数刚被另一笔申领占用，请刷新后重试。"
            )
        ) from None
    return moved


@transaction.atomic
def claim_withdraw(*, claim: Claim, actor, reason: str = "", request=None) -> Claim:
    """The filer withdraws a claim not yet taken up for review (撤回)."""
    return workflow.claim_move(
        claim=claim,
        to=ClaimStatus.WITHDRAWN,
        actor=actor,
        reason=reason,
        request=request,
    )
