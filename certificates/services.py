"""Issuing, revoking and reissuing certificates, with their rules.

A certificate is issued only from a qualifying fact — a passed assessment of an enrolment
with enough attendance, a competition award, or an evaluator's decision with a reason —
and never twice for the same fact (the ``one_certificate_per_fact`` constraint; asking
again returns the certificate already issued). Every issue, revocation and reissue
writes an audit event. Refusals are ``ValidationError`` / ``PermissionDenied`` with a
plain Chinese message.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from bases.models import (
    InstitutionOccupation,
    QualificationStatus,
    TrainingInstitution,
)
from certificates import status_list  # c14-status
from certificates.models import (
    Certificate,
    CertificateStatus,
    DisplayStatus,
    IssueBasis,
)
from certificates.numbering import format_number, number_prefix, reserve_serials
from certificates.policies import may_manage
from certificates.verification_log import verification_log
from courses.models import AssessmentResult, Enrolment, EnrolmentStatus, TrainingClass
from courses.policies import is_institution_staff
from courses.services import meets_attendance
from trainees.models import Trainee
from training_platform import access
from training_platform.audit.services import (
    audit_record,
    audit_record_many,
    status_change,
)
from training_platform.clientip import client_ip
from training_platform.reference.models import (
    SKILL_LEVEL_RANK,
    CertificateKind,
    Occupation,
    Region,
    SkillLevel,
)
from training_platform.roles import Role

PROVINCE_REGION = "520000"
# Kinds an evaluation organisation issues (in the order screens offer them); training
# certificates come from institutions.
EVALUATED_KINDS = (CertificateKind.SKILL_LEVEL, CertificateKind.SPECIAL_ABILITY)


# --- who may act ---------------------------------------------------------------------


def evaluator_organisations(actor) -> list[int]:
    """Evaluation organisations ``actor`` works for."""
    return access.scope_for(actor).institution_ids(Role.EVALUATOR)


def _evaluating_organisation(actor, organisation) -> TrainingInstitution:
    orgs = evaluator_organisations(actor)
    if organisation is None:
        if len(orgs) != 1:
            raise PermissionDenied(
                "只有评价机构的工作人员可以签发该类证书（请选择所在评价机构）。"
            )
        return TrainingInstitution.objects.get(pk=orgs[0])
    if organisation.pk not in orgs and not access.scope_for(actor).is_superuser:
        raise PermissionDenied("只能以本人所在评价机构的名义签发证书。")
    return organisation


def filing_allows(max_levels: Iterable[str], level: str) -> bool:
    """Whether filings up to ``max_levels`` cover ``level`` ("" : any filing does)."""
    max_levels = list(max_levels)
    if not level:
        return bool(max_levels)
    return any(SKILL_LEVEL_RANK[level] <= SKILL_LEVEL_RANK[top] for top in max_levels)


def filed_to_evaluate(organisation, occupation, level: str) -> bool:
    """Whether the organisation is filed to evaluate ``occupation`` at ``level``."""
    filings = InstitutionOccupation.objects.filter(
        institution=organisation, occupation=occupation, can_evaluate=True
    ).values_list("max_level", flat=True)
    return filing_allows(filings, level)


def evaluation_filings(organisation_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """``(organisation id, occupation code) → highest level filed`` for evaluating."""
    return {
        (org, code): top
        for org, code, top in InstitutionOccupation.objects.filter(
            institution_id__in=list(organisation_ids), can_evaluate=True
        ).values_list("institution_id", "occupation_id", "max_level")
    }


# --- what an evaluation decision may say -----------------------------------------------

# Skill-level certificates issued by evaluation: 五级 to 一级. 特级技师 and 首席技师
# have their own certificate format (domain.md §1) and are not issued here.
EVALUATED_LEVELS = (
    SkillLevel.LEVEL_5,
    SkillLevel.LEVEL_4,
    SkillLevel.LEVEL_3,
    SkillLevel.LEVEL_2,
    SkillLevel.LEVEL_1,
)


def evaluation_levels(kind: str, max_level: str | None = None) -> tuple[str, ...]:
    """The levels a ``kind`` certificate issued by evaluation may carry (none: it has
    no level), up to ``max_level`` when the organisation's filing is known."""
    if kind != CertificateKind.SKILL_LEVEL:
        return ()
    if max_level is None:
        return EVALUATED_LEVELS
    return tuple(
        level
        for level in EVALUATED_LEVELS
        if SKILL_LEVEL_RANK[level] <= SKILL_LEVEL_RANK[max_level]
    )


@dataclass(frozen=True)
class Refusal:
    """Why an evaluation decision cannot be issued, and the field it is about."""

    field: str  # kind, level, occupation
    message: str
    code: str

    @property
    def unfiled(self) -> bool:
        """A filing refusal (``PermissionDenied``), not a mistake in the decision."""
        return self.code in ("not_filed", "level_not_filed")


def evaluation_refusal(*, kind: str, level: str, max_level: str | None):
    """The ``Refusal`` of a decision of ``kind`` at ``level`` by an organisation filed
    for the occupation up to ``max_level`` (``None``: not filed), or ``None``.

    No queries: the form, the decisions import and the service each ask it with what
    they looked up, so the three apply one rule.
    """
    if kind not in EVALUATED_KINDS:
        return Refusal(
            "kind", "评价机构只能签发职业技能等级证书或专项职业能力证书。", "kind"
        )
    label = CertificateKind(kind).label
    allowed = evaluation_levels(kind)
    if not allowed and level:
        return Refusal("level", f"{label}不分等级，等级请留空。", "level_not_allowed")
    if allowed and not level:
        return Refusal("level", f"{label}须选择等级（五级至一级）。", "level_required")
    if allowed and level not in allowed:
        return Refusal("level", f"{label}的等级只能是五级至一级。", "level_not_allowed")
    if max_level is None:
        return Refusal(
            "occupation",
            "本评价机构未备案该职业（工种）的评价资格，不能签发。",
            "not_filed",
        )
    if level and not filing_allows([max_level], level):
        return Refusal(
            "level",
            f"本评价机构未备案该职业（工种）{SkillLevel(level).label}的评价资格"
            f"（备案最高为{SkillLevel(max_level).label}），不能签发。",
            "level_not_filed",
        )
    return None


def _require_filing(organisation, occupation, level: str) -> None:
    if not filed_to_evaluate(organisation, occupation, level):
        raise PermissionDenied(
            "本评价机构未备案该职业（工种）或等级的评价资格，不能签发。"
        )


# --- issuing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One certificate to issue: the person, the fact, and what the certificate says."""

    trainee: Trainee
    fact_key: str
    enrolment: Enrolment | None = None


def _region_of(issuer) -> Region:
    code = issuer.region_id if issuer is not None else PROVINCE_REGION
    return Region.objects.get(pk=code)


def _holder_fields(trainee: Trainee) -> dict:
    return {
        "holder_name": trainee.name,
        "holder_id_masked": trainee.masked_id_number,
        "holder_id_hash": trainee.id_number_hash,
    }


def _issue_many(
    *,
    actor,
    grants: list[Grant],
    kind: str,
    occupation: Occupation,
    level: str,
    issuer: TrainingInstitution | None,
    issuer_name: str,
    basis: str,
    note: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    region: Region | None = None,
    request=None,
) -> tuple[list[Certificate], int]:
    """Issue for every grant whose fact has no certificate yet; (new ones, already issued).

    Set-based: one query finds the facts already covered, one UPDATE reserves the
    serials, one INSERT writes the certificates and one their audit events.
    """
    today = timezone.localdate()
    issued_on = issued_on or today
    if issued_on > today:
        raise ValidationError("发证日期不能晚于今天。", code="issued_in_future")
    if expires_on is not None and expires_on < issued_on:
        raise ValidationError("有效期不能早于发证日期。", code="expiry_before_issue")
    keys = [g.fact_key for g in grants]
    covered = set(
        Certificate.objects.filter(
            fact_key__in=keys, replaces__isnull=True
        ).values_list("fact_key", flat=True)
    )
    todo = [g for g in grants if g.fact_key not in covered]
    if not todo:
        return [], len(grants)
    prefix = number_prefix(kind=kind, issuer=issuer, level=level, year=issued_on.year)
    serials = reserve_serials(prefix, len(todo))
    region = region or _region_of(issuer)
    certificates = [
        Certificate(
            number=format_number(prefix, serial),
            kind=kind,
            occupation=occupation,
            occupation_name=occupation.name,
            level=level,
            trainee=grant.trainee,
            **_holder_fields(grant.trainee),
            issuer=issuer,
            issuer_name=issuer_name,
            region=region,
            issued_on=issued_on,
            expires_on=expires_on,
            basis=basis,
            fact_key=grant.fact_key,
            enrolment=grant.enrolment,
            basis_note=note,
            issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for grant, serial in zip(todo, serials, strict=True)
    ]
    try:
        with transaction.atomic():
            Certificate.objects.bulk_create(certificates, batch_size=500)
    except IntegrityError:
        # Another issuer covered one of these facts meanwhile: this call changes nothing.
        raise ValidationError(
            "其中有证书刚刚由他人签发，请刷新后重试。", code="issued_concurrently"
        ) from None
    audit_record_many(
        actor=actor,
        action="certificate.issue",
        objects=certificates,
        after=lambda c: {"number": c.number, "kind": c.kind, "basis": c.basis},
        reason=note,
        request=request,
    )
    return certificates, len(grants) - len(todo)


def _issue_one(*, grant: Grant, **kwargs) -> Certificate:
    """Issue one certificate, or return the one already issued for the same fact."""
    try:
        created, _ = _issue_many(grants=[grant], **kwargs)
    except ValidationError as exc:
        if exc.code != "issued_concurrently":
            raise
        created = []
    if created:
        return created[0]
    current = current_for_fact(grant.fact_key)
    if current is None:  # the insert failed for another reason (a number clash)
        raise ValidationError("签发未完成，请重试。", code="issue_failed")
    return current


def current_for_fact(fact_key: str) -> Certificate | None:
    """The certificate now standing for a fact: the end of its reissue chain."""
    return (
        Certificate.objects.filter(fact_key=fact_key)
        .exclude(status=CertificateStatus.SUPERSEDED)
        .order_by("-pk")
        .first()
    )


def _check_qualifying(enrolment: Enrolment) -> None:
    if not enrolment.is_active:
        raise ValidationError("该学员已退出培训班，不能发证。", code="not_enrolled")
    if enrolment.result != AssessmentResult.PASSED:
        raise ValidationError("考核合格后才能发证。", code="not_passed")
    if not meets_attendance(enrolment):
        raise ValidationError("出勤不足，不能发证。", code="attendance_too_low")


def require_qualified(issuer: TrainingInstitution) -> None:
    """Refuse an issuer whose qualification is not approved."""
    if issuer.status != QualificationStatus.APPROVED:
        raise ValidationError(
            "%(name)s 的机构资格为“%(status)s”，不能发证。",
            code="issuer_not_qualified",
            params={"name": issuer.name, "status": issuer.get_status_display()},
        )


def _enrolment_terms(actor, training_class: TrainingClass, kind: str, organisation):
    """(issuer, level) for certificates of ``kind`` from this class, or a refusal."""
    course = training_class.course
    if kind == CertificateKind.TRAINING:
        if not is_institution_staff(actor, course.institution_id):
            raise PermissionDenied(
                "只有本机构的工作人员可以为本班学员申请培训合格证书。"
            )
        require_qualified(course.institution)
        return course.institution, ""
    if kind not in EVALUATED_KINDS:
        raise ValidationError(
            "培训考核只能取得培训合格、专项能力或技能等级证书。", code="kind"
        )
    level = course.target_level if kind == CertificateKind.SKILL_LEVEL else ""
    if kind == CertificateKind.SKILL_LEVEL and not level:
        raise ValidationError(
            "该培训项目没有目标等级，不能签发技能等级证书。", code="no_level"
        )
    issuer = _evaluating_organisation(actor, organisation)
    require_qualified(issuer)
    _require_filing(issuer, course.occupation, level)
    return issuer, level


def enrolment_fact(enrolment: Enrolment, kind: str) -> str:
    return f"enrolment:{enrolment.pk}:{kind}"


@transaction.atomic
def certificate_issue_for_enrolment(
    *,
    actor,
    enrolment: Enrolment,
    kind: str = CertificateKind.TRAINING,
    organisation: TrainingInstitution | None = None,
    expires_on: dt.date | None = None,
    request=None,
) -> Certificate:
    """Issue the certificate a passed assessment earns (repeat-safe)."""
    enrolment = (
        Enrolment.objects.select_related(
            "trainee",
            "training_class__course__institution",
            "training_class__course__occupation",
        )
        .select_for_update(of=("self",))
        .get(pk=enrolment.pk)
    )
    cls = enrolment.training_class
    issuer, level = _enrolment_terms(actor, cls, kind, organisation)
    _check_qualifying(enrolment)
    return _issue_one(
        actor=actor,
        grant=Grant(enrolment.trainee, enrolment_fact(enrolment, kind), enrolment),
        kind=kind,
        occupation=cls.course.occupation,
        level=level,
        issuer=issuer,
        issuer_name=issuer.name,
        basis=IssueBasis.ASSESSMENT,
        note=f"培训班 {cls.code} 考核合格",
        expires_on=expires_on,
        request=request,
    )


@dataclass
class ClassIssueSummary:
    eligible: int = 0
    issued: int = 0
    already_issued: int = 0
    not_qualified: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def eligible_enrolments(training_class: TrainingClass) -> list[Enrolment]:
    """Active, passed enrolments of a class with enough attendance."""
    rows = (
        Enrolment.objects.filter(
            training_class=training_class,
            status=EnrolmentStatus.ENROLLED,
            result=AssessmentResult.PASSED,
        )
        .select_related("trainee", "training_class__course")
        .order_by("pk")
    )
    return [e for e in rows if meets_attendance(e)]


def certificate_issue_for_class(
    *,
    actor,
    training_class: TrainingClass,
    kind: str = CertificateKind.TRAINING,
    organisation: TrainingInstitution | None = None,
    chunk: int = 200,
    progress: Callable[[int, int], None] | None = None,
    request=None,
) -> ClassIssueSummary:
    """Issue to every qualifying trainee of a class, chunk by chunk (repeat-safe)."""
    training_class = TrainingClass.objects.select_related(
        "course__institution", "course__occupation"
    ).get(pk=training_class.pk)
    issuer, level = _enrolment_terms(actor, training_class, kind, organisation)
    summary = ClassIssueSummary()
    summary.not_qualified = Enrolment.objects.filter(
        training_class=training_class, status=EnrolmentStatus.ENROLLED
    ).count()
    eligible = eligible_enrolments(training_class)
    summary.eligible = len(eligible)
    summary.not_qualified -= summary.eligible
    for start in range(0, len(eligible), chunk):
        part = eligible[start : start + chunk]
        with transaction.atomic():
            # Lock this chunk's enrolments (in id order, as single issues lock theirs)
            # so a concurrent issuer waits instead of racing to the same facts.
            list(
                Enrolment.objects.filter(pk__in=[e.pk for e in part])
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)
            )
            created, already = _issue_many(
                actor=actor,
                grants=[Grant(e.trainee, enrolment_fact(e, kind), e) for e in part],
                kind=kind,
                occupation=training_class.course.occupation,
                level=level,
                issuer=issuer,
                issuer_name=issuer.name,
                basis=IssueBasis.ASSESSMENT,
                note=f"培训班 {training_class.code} 考核合格（批量）",
                request=request,
            )
        summary.issued += len(created)
        summary.already_issued += already
        if progress is not None:
            progress(start + len(part), len(eligible))
    return summary


def evaluation_fact(
    issuer_id: int, trainee_id: int, occupation_code: str, level: str, kind: str
) -> str:
    """The fact an evaluation decision certifies (one certificate per fact)."""
    return f"evaluation:{issuer_id}:{trainee_id}:{occupation_code}:{level}:{kind}"


@transaction.atomic
def certificate_issue_by_evaluation(
    *,
    actor,
    trainee: Trainee,
    occupation: Occupation,
    level: str,
    reason: str,
    kind: str = CertificateKind.SKILL_LEVEL,
    organisation: TrainingInstitution | None = None,
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    request=None,
) -> Certificate:
    """An evaluation organisation's decision, with its reason (repeat-safe)."""
    level = level or ""
    refusal = evaluation_refusal(kind=kind, level=level, max_level=SkillLevel.LEVEL_1)
    if refusal is not None:  # the decision itself is wrong, whoever makes it
        raise ValidationError(refusal.message, code=refusal.code)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写认定理由。", code="reason_required")
    issuer = _evaluating_organisation(actor, organisation)
    require_qualified(issuer)
    refusal = evaluation_refusal(
        kind=kind,
        level=level,
        max_level=evaluation_filings([issuer.pk]).get((issuer.pk, occupation.pk)),
    )
    if refusal is not None:
        raise PermissionDenied(refusal.message)
    trainee = Trainee.objects.get(
        pk=trainee.pk
    )  # freeze what is stored, not a stale copy
    fact = evaluation_fact(issuer.pk, trainee.pk, occupation.pk, level, kind)
    return _issue_one(
        actor=actor,
        grant=Grant(trainee, fact),
        kind=kind,
        occupation=occupation,
        level=level,
        issuer=issuer,
        issuer_name=issuer.name,
        basis=IssueBasis.EVALUATION,
        note=reason,
        issued_on=issued_on,
        expires_on=expires_on,
        request=request,
    )


@transaction.atomic
def certificate_issue_for_award(
    *,
    actor,
    trainee: Trainee,
    award_key: str,
    occupation: Occupation,
    issuer_name: str,
    title: str,
    level: str = "",
    issued_on: dt.date | None = None,
    region: Region | None = None,
    request=None,
) -> Certificate:
    """A competition award certificate (called by the competitions app; repeat-safe).

    ``region`` is the competition's (the bureau over it revokes and reissues the
    certificate); the province when not given."""
    region = region or _region_of(None)
    scope = access.scope_for(actor)
    over = any(region.code.startswith(p) for p in scope.region_prefixes(Role.BUREAU))
    if not (scope.is_superuser or over):
        raise PermissionDenied("竞赛获奖证书由竞赛所在地区（或上级）的人社部门签发。")
    if not award_key:
        raise ValidationError("缺少获奖记录。", code="award_required")
    return _issue_one(
        actor=actor,
        grant=Grant(trainee, f"award:{award_key}"),
        kind=CertificateKind.COMPETITION,
        occupation=occupation,
        level=level,
        issuer=None,
        issuer_name=issuer_name,
        basis=IssueBasis.AWARD,
        note=title,
        issued_on=issued_on,
        region=region,
        request=request,
    )


# --- revocation and reissue ------------------------------------------------------------


def _locked_for_change(actor, certificate: Certificate) -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if not may_manage(actor, certificate):
        raise PermissionDenied("只有发证机构或所在地人社部门可以撤销或换发证书。")
    if certificate.status != CertificateStatus.VALID:
        raise ValidationError(
            "该证书%(status)s，不能再撤销或换发。",
            code="not_valid",
            params={"status": certificate.get_status_display()},
        )
    return certificate


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写原因。", code="reason_required")
    return reason


@transaction.atomic
def certificate_revoke(
    *, actor, certificate: Certificate, reason: str, request=None
) -> Certificate:
    """Revoke a valid certificate, with the reason shown to every verifier."""
    reason = _required_reason(reason)
    certificate = _locked_for_change(actor, certificate)
    # --- c14-status ---
    status_list.invalidate()  # the signed revocation list is rebuilt after commit
    # --- end c14-status ---
    return status_change(
        obj=certificate,
        to=CertificateStatus.REVOKED,
        actor=actor,
        action="certificate.revoke",
        changes={"revoked_at": timezone.now(), "revoked_reason": reason},
        reason=reason,
        request=request,
    )


@transaction.atomic
def certificate_reissue(
    *, actor, certificate: Certificate, reason: str, request=None
) -> Certificate:
    """Replace a valid certificate by a new one (new number and token; holder re-read).

    Kind, occupation (code and frozen name), level, issuer and expiry are the old one's.
    """
    reason = _required_reason(reason)
    old = _locked_for_change(actor, certificate)
    # --- c14-status ---
    status_list.invalidate()  # the signed revocation list is rebuilt after commit
    # --- end c14-status ---
    if old.display_status() == DisplayStatus.EXPIRED:
        raise ValidationError(
            "该证书已过期，不能换发；请按规定重新评价或申领。", code="expired"
        )
    trainee = Trainee.objects.get(pk=old.trainee_id)
    issued_on = timezone.localdate()
    prefix = number_prefix(
        kind=old.kind, issuer=old.issuer, level=old.level, year=issued_on.year
    )
    (serial,) = reserve_serials(prefix, 1)
    new = Certificate(
        number=format_number(prefix, serial),
        kind=old.kind,
        occupation_id=old.occupation_id,
        # The new paper replaces the old one for the same fact: it keeps the name the
        # occupation was issued under (only the holder is re-read).
        occupation_name=old.occupation_name,
        level=old.level,
        trainee=trainee,
        **_holder_fields(trainee),
        issuer_id=old.issuer_id,
        issuer_name=old.issuer_name,
        region_id=old.region_id,
        issued_on=issued_on,
        expires_on=old.expires_on,
        basis=IssueBasis.REISSUE,
        fact_key=old.fact_key,
        enrolment_id=old.enrolment_id,
        basis_note=reason,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        replaces=old,
    )
    new.full_clean()
    new.save()
    status_change(
        obj=old,
        to=CertificateStatus.SUPERSEDED,
        actor=actor,
        action="certificate.supersede",
        changes={
            "superseded_by": new,
            "superseded_at": timezone.now(),
            "reissue_reason": reason,
        },
        after={"superseded_by": new.number},
        reason=reason,
        request=request,
    )
    audit_record(
        actor=actor,
        action="certificate.issue",
        obj=new,
        after={
            "number": new.number,
            "kind": new.kind,
            "basis": new.basis,
            "replaces": old.number,
        },
        reason=reason,
        request=request,
    )
    return new


def issued_for(enrolments: Iterable[Enrolment], kind: str) -> set[int]:
    """Ids of the enrolments among ``enrolments`` that already hold a ``kind`` certificate."""
    keys = {enrolment_fact(e, kind): e.pk for e in enrolments}
    found = Certificate.objects.filter(fact_key__in=list(keys), replaces__isnull=True)
    return {keys[k] for k in found.values_list("fact_key", flat=True)}


# --- verification log ----------------------------------------------------------------


def verification_record(
    *, channel: str, asked: str, certificate, outcome: str, signature=None, request=None
) -> None:
    """Log one verification (time, what was asked, outcome, client) for auditors."""
    verification_log.write(
        verification_log.row(
            at=timezone.now(),
            channel=channel,
            # Printable characters only: a NUL byte is refused by PostgreSQL text columns.
            asked="".join(ch for ch in (asked or "")[:64] if ch.isprintable()),
            certificate_id=certificate.pk if certificate is not None else None,
            outcome=outcome,
            signature=signature,
            ip=client_ip(request),
        )
    )
