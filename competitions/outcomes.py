"""What published results give people: award certificates, titles and promotions.

``outcomes_reconcile`` reads the published version's results and the competition's
rules, works out the outcomes each person should hold, and compares them with the
active :class:`~competitions.models.Outcome` rows: what is still due stays as it is
(running it twice changes nothing), what is no longer due is revoked (an award
certificate through ``certificates.services.certificate_revoke``, with the
correction's reason), and what is newly due is issued (an award certificate through
``certificates.services.certificate_issue_for_award``, repeat-safe by its key).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from certificates import selectors as certificate_selectors
from certificates import services as certificate_services
from certificates.models import CertificateStatus
from competitions.models import (
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Result,
    ResultVersion,
    VersionStatus,
)
from training_platform.audit.services import audit_record, status_change
from training_platform.reference.models import SKILL_LEVEL_RANK, SkillLevel

DEFAULT_REVOKE_REASON = "成绩更正后不再符合条件。"


@dataclass(frozen=True)
class Due:
    """One outcome a person should hold."""

    event_id: int
    trainee_id: int
    kind: str
    name: str
    rank: int | None
    from_level: str = ""
    to_level: str = ""
    document_no: str = ""
    award: str = ""

    @property
    def key(self) -> tuple:
        return (self.event_id, self.trainee_id, self.kind)


def next_level_up(level: str) -> str:
    """One level up (二级/技师 → 一级/高级技师); "" at 一级 or above."""
    rank = SKILL_LEVEL_RANK[level]
    if rank >= SKILL_LEVEL_RANK[SkillLevel.LEVEL_1]:
        return ""
    return list(SkillLevel)[rank + 1].value


def promotion_target(rule, held: str | None) -> str:
    """The level a rule promotes a person holding ``held`` to ("" for none)."""
    if not held or SKILL_LEVEL_RANK[held] < SKILL_LEVEL_RANK[rule.to_level]:
        return rule.to_level
    return next_level_up(held) if rule.step_up else ""


def _results(version):
    return list(
        Result.objects.filter(version=version)
        .select_related("event", "event__occupation")
        .prefetch_related("entry__registrations")
        .order_by("event_id", "rank", "entry_id")
    )


def outcomes_due(version: ResultVersion, *, keep: dict | None = None) -> list[Due]:
    """The outcomes the results of ``version`` give, by the competition's rules.

    ``keep``: active promotions by key; a person still qualifying keeps the levels
    recorded then (a certificate gained since does not move the promotion).
    """
    competition = version.competition
    keep = keep or {}
    award_rules = list(competition.award_rules.all())
    order = {rule.name: i for i, rule in enumerate(award_rules)}
    with_certificate = {rule.name for rule in award_rules if rule.certificate}
    title_rules = list(competition.title_rules.order_by("pk"))
    promotion_rules = [
        rule
        for rule in competition.promotion_rules.order_by("pk")
        if rule.min_award in order
    ]
    results = _results(version)
    held_by_occupation: dict[int, dict[int, str]] = {}
    if promotion_rules:
        people_by_occupation: dict[int, set[int]] = {}
        for result in results:
            people_by_occupation.setdefault(result.event.occupation_id, set()).update(
                r.trainee_id for r in result.entry.registrations.all()
            )
        for occupation_id, people in people_by_occupation.items():
            held_by_occupation[occupation_id] = certificate_selectors.highest_levels(
                people, occupation_id
            )
    due: list[Due] = []
    for result in results:
        event = result.event
        people = sorted(r.trainee_id for r in result.entry.registrations.all())
        award = result.award
        for trainee_id in people:
            base = {"event_id": event.pk, "trainee_id": trainee_id, "rank": result.rank}
            if award and award in with_certificate:
                due.append(Due(kind=OutcomeKind.CERTIFICATE, name=award, **base))
            if result.rank:
                limit_of = (
                    (lambda r: r.max_team_rank)
                    if event.is_team
                    else (lambda r: r.max_rank)
                )
                for rule in title_rules:
                    if limit_of(rule) and result.rank <= limit_of(rule):
                        due.append(
                            Due(
                                kind=OutcomeKind.TITLE,
                                name=rule.title,
                                document_no=rule.document_no,
                                **base,
                            )
                        )
                        break
            if award in order:
                for rule in promotion_rules:
                    if order[award] > order[rule.min_award]:
                        continue
                    kept = keep.get((event.pk, trainee_id, OutcomeKind.PROMOTION))
                    if kept is not None:
                        held, target = kept.from_level, kept.to_level
                    else:
                        held = held_by_occupation[event.occupation_id].get(trainee_id)
                        target = promotion_target(rule, held)
                    if not target:
                        continue
                    due.append(
                        Due(
                            kind=OutcomeKind.PROMOTION,
                            name=f"晋升{SkillLevel(target).label}",
                            from_level=held or "",
                            to_level=target,
                            document_no=rule.document_no,
                            **base,
                        )
                    )
                    break
    return due


def _same(outcome: Outcome, due: Due) -> bool:
    return (outcome.name, outcome.from_level, outcome.to_level) == (
        due.name,
        due.from_level,
        due.to_level,
    )


def _award_key(competition, due: Due) -> str:
    # A certificate's fact key is unique over all certificates: it names the person.
    return f"{competition.pk}:{due.event_id}:{due.trainee_id}:{due.name}"


@dataclass
class Reconciled:
    issued: list
    revoked: list
    kept: int


@transaction.atomic
def outcomes_reconcile(*, actor, version: ResultVersion, request=None) -> Reconciled:
    """Bring the competition's active outcomes in line with the published ``version``."""
    version = ResultVersion.objects.select_related("competition").get(pk=version.pk)
    if version.status != VersionStatus.PUBLISHED:
        raise ValidationError("只有已公布的成绩才能据以授予证书、称号和晋级。")
    competition = version.competition
    active = {
        (o.event_id, o.trainee_id, o.kind): o
        for o in Outcome.objects.select_for_update(of=("self",))
        .filter(competition=competition, status=OutcomeStatus.ACTIVE)
        .select_related("certificate")
    }
    keep = {key: o for key, o in active.items() if o.kind == OutcomeKind.PROMOTION}
    due = {d.key: d for d in outcomes_due(version, keep=keep)}
    reason = version.reason.strip() or DEFAULT_REVOKE_REASON
    revoked = []
    for key, outcome in active.items():
        wanted = due.get(key)
        if wanted is not None and _same(outcome, wanted):
            if outcome.rank != wanted.rank:
                before = {"rank": outcome.rank}
                outcome.rank = wanted.rank
                outcome.save(update_fields=["rank"])
                audit_record(
                    actor=actor,
                    action="competitions.outcome.rank",
                    obj=outcome,
                    before=before,
                    after={"rank": wanted.rank, "version": version.number},
                    request=request,
                )
            continue
        if (
            outcome.certificate
            and outcome.certificate.status == CertificateStatus.VALID
        ):
            certificate_services.certificate_revoke(
                actor=actor,
                certificate=outcome.certificate,
                reason=reason,
                request=request,
            )
        status_change(
            obj=outcome,
            to=OutcomeStatus.REVOKED,
            actor=actor,
            action="competitions.outcome.revoke",
            changes={"revoked_in": version, "revoked_reason": reason[:200]},
            after={"version": version.number},
            reason=reason,
            request=request,
        )
        revoked.append(outcome)
    issued_on = timezone.localdate(version.published_at or timezone.now())
    events = {e.pk: e for e in competition.events.select_related("occupation")}
    people = {}
    todo = [d for key, d in due.items() if key not in active or active[key] in revoked]
    if todo:
        from trainees.models import Trainee

        people = Trainee.objects.in_bulk({d.trainee_id for d in todo})
    issued = []
    for wanted in todo:
        event = events[wanted.event_id]
        certificate = None
        if wanted.kind == OutcomeKind.CERTIFICATE:
            certificate = _award_certificate(
                actor=actor,
                version=version,
                event=event,
                trainee=people[wanted.trainee_id],
                due=wanted,
                issued_on=issued_on,
                request=request,
            )
        outcome = Outcome(
            competition=competition,
            event=event,
            trainee_id=wanted.trainee_id,
            kind=wanted.kind,
            name=wanted.name,
            rank=wanted.rank,
            from_level=wanted.from_level,
            to_level=wanted.to_level,
            document_no=wanted.document_no,
            certificate=certificate,
            issued_in=version,
            issued_on=issued_on,
        )
        outcome.full_clean(exclude=["certificate", "issued_in", "trainee"])
        outcome.save()
        audit_record(
            actor=actor,
            action="competitions.outcome.issue",
            obj=outcome,
            after={
                "kind": outcome.kind,
                "name": outcome.name,
                "version": version.number,
                "certificate": certificate.number if certificate else "",
            },
            request=request,
        )
        issued.append(outcome)
    return Reconciled(issued=issued, revoked=revoked, kept=len(active) - len(revoked))


def _award_certificate(*, actor, version, event, trainee, due, issued_on, request):
    competition = version.competition
    key = _award_key(competition, due)
    fields = {
        "actor": actor,
        "trainee": trainee,
        "occupation": event.occupation,
        "issuer_name": competition.organiser,
        "title": f"{competition.name} {event.name} {due.name}",
        "level": event.level,
        "issued_on": issued_on,
        "region": competition.region,
        "request": request,
    }
    certificate = certificate_services.certificate_issue_for_award(
        award_key=key, **fields
    )
    if certificate.status != CertificateStatus.VALID:
        # The same award revoked by an earlier correction and due again: a new fact.
        certificate = certificate_services.certificate_issue_for_award(
            award_key=f"{key}:v{version.number}", **fields
        )
    return certificate
