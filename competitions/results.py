"""Publishing results, and correcting them after publication.

- ``results_publish``: the bureau freezes the computed results (``competitions.scoring``)
  into version 1 with one :class:`Result` per entry, marks the competition published
  and issues what the results give (``competitions.outcomes``).
- ``correction_propose``: whoever manages the competition freezes the working scores
  into a proposed version, with a reason; nothing changes for the public yet.
- ``correction_approve`` / ``correction_reject``: a second bureau person (never the
  proposer) approves it (the old version is kept as superseded; outcomes are
  reconciled: revoked or reissued) or sends it back with a reason.

Every step locks the competition row and writes an audit event; refusals are
``ValidationError`` / ``PermissionDenied`` with a Chinese message.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from competitions import policies, scoring
from competitions.models import (
    Competition,
    CompetitionStatus,
    Event,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Registration,
    Result,
    ResultVersion,
    VersionStatus,
)
from competitions.outcomes import outcomes_reconcile
from training_platform.audit.models import AuditEvent
from training_platform.audit.services import audit_record, status_change

COMPARED = ("theory", "practical", "total", "worldskills", "rank", "award")


def _locked(competition) -> Competition:
    return Competition.objects.select_for_update().get(pk=competition.pk)


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写原因。", code="reason_required")
    return reason


def _computed(competition) -> dict:
    """``{event_id: [ComputedResult]}`` for every event, refusing an event left unranked."""
    events = list(competition.events.all())
    if not events:
        raise ValidationError("本竞赛还没有赛项，不能公布成绩。", code="no_events")
    computed = scoring.competition_results(competition)
    unranked = [
        event.name
        for event in events
        if not any(r.rank for r in computed.get(event.pk, []))
    ]
    if unranked:
        raise ValidationError(
            "以下赛项还没有可排名的成绩：%(events)s。",
            code="unranked",
            params={"events": "、".join(unranked)},
        )
    return computed


def _freeze(version: ResultVersion, computed: dict) -> list[Result]:
    rows = [
        Result(
            version=version,
            event_id=event_id,
            entry_id=r.entry_id,
            theory=r.theory,
            practical=r.practical,
            total=r.total,
            worldskills=r.worldskills,
            rank=r.rank,
            award=r.award or "",
            formulas=_formulas(r),
        )
        for event_id, results in computed.items()
        for r in results
    ]
    return Result.objects.bulk_create(rows, batch_size=500)


def _formulas(computed) -> dict:
    formulas = dict(computed.formulas or {})
    flags = list(getattr(computed, "flags", None) or [])
    if flags:
        formulas["flags"] = [str(flag) for flag in flags]
    return formulas


@transaction.atomic
def results_publish(*, actor, competition, request=None) -> ResultVersion:
    """Freeze the computed results as version 1, publish them and issue the outcomes."""
    competition = _locked(competition)
    if not policies.may_publish(actor, competition):
        raise PermissionDenied("公布成绩须由竞赛所在地人社部门办理。")
    if competition.status == CompetitionStatus.PUBLISHED:
        raise ValidationError("本竞赛的成绩已经公布。", code="already_published")
    if competition.status != CompetitionStatus.SCORING:
        raise ValidationError(
            "竞赛处于“%(status)s”状态，评分阶段才能公布成绩。",
            code="not_scoring",
            params={"status": competition.get_status_display()},
        )
    if competition.result_versions.exists():
        raise ValidationError("本竞赛的成绩已经公布。", code="already_published")
    computed = _computed(competition)
    now = timezone.now()
    version = ResultVersion(
        competition=competition,
        number=1,
        status=VersionStatus.PUBLISHED,
        proposed_by=actor if actor.is_authenticated else None,
        approved_by=actor if actor.is_authenticated else None,
        published_at=now,
    )
    version.full_clean(exclude=["proposed_by", "approved_by"])
    version.save()
    results = _freeze(version, computed)
    audit_record(
        actor=actor,
        action="competitions.results.publish",
        obj=version,
        after={"number": 1, "results": len(results)},
        request=request,
    )
    status_change(
        obj=competition,
        to=CompetitionStatus.PUBLISHED,
        actor=actor,
        action="competitions.competition.publish",
        request=request,
    )
    outcomes_reconcile(actor=actor, version=version, request=request)
    return version


def _published_rows(version) -> dict:
    return {
        row[0]: row[1:]
        for row in Result.objects.filter(version=version).values_list(
            "entry_id", *COMPARED
        )
    }


def _computed_rows(computed: dict) -> dict:
    return {
        r.entry_id: tuple(
            (getattr(r, name) or "") if name == "award" else getattr(r, name)
            for name in COMPARED
        )
        for results in computed.values()
        for r in results
    }


@transaction.atomic
def correction_propose(*, actor, competition, reason, request=None) -> ResultVersion:
    """Freeze the working scores into a proposed correction (待复核) with its reason."""
    competition = _locked(competition)
    if not policies.may_manage(actor, competition):
        raise PermissionDenied("只有本竞赛的组织人员或人社部门可以提出更正。")
    reason = _required_reason(reason)
    if competition.status != CompetitionStatus.PUBLISHED:
        raise ValidationError("成绩公布后才能提出更正。", code="not_published")
    if competition.result_versions.filter(status=VersionStatus.PROPOSED).exists():
        raise ValidationError(
            "已有一项更正等待复核，请先批准或退回。", code="pending_correction"
        )
    current = published_version(competition)
    computed = _computed(competition)
    if current is not None and _computed_rows(computed) == _published_rows(current):
        raise ValidationError(
            "当前成绩与已公布的成绩相同，没有需要更正的内容。", code="nothing_changed"
        )
    number = (competition.result_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ResultVersion(
        competition=competition,
        number=number,
        status=VersionStatus.PROPOSED,
        reason=reason,
        proposed_by=actor,
    )
    version.full_clean(exclude=["proposed_by", "approved_by"])
    version.save()
    results = _freeze(version, computed)
    audit_record(
        actor=actor,
        action="competitions.results.propose_correction",
        obj=version,
        after={"number": number, "results": len(results)},
        reason=reason,
        request=request,
    )
    return version


def _locked_proposal(version) -> ResultVersion:
    _locked(version.competition)
    version = (
        ResultVersion.objects.select_for_update(of=("self",))
        .select_related("competition")
        .get(pk=version.pk)
    )
    if version.status != VersionStatus.PROPOSED:
        raise ValidationError(
            "该版本%(status)s，不能再批准或退回。",
            code="not_proposed",
            params={"status": version.get_status_display()},
        )
    return version


@transaction.atomic
def correction_approve(*, actor, version, request=None) -> ResultVersion:
    """A second bureau person approves a proposed correction: it becomes the published
    version (the old one kept as superseded) and the outcomes are reconciled."""
    version = _locked_proposal(version)
    if not policies.may_approve_correction(actor, version):
        if actor.pk == version.proposed_by_id:
            raise PermissionDenied("更正须由提出人以外的人社部门工作人员复核批准。")
        raise PermissionDenied("批准更正须由竞赛所在地人社部门办理。")
    old = published_version(version.competition, lock=True)
    if old is not None:
        status_change(
            obj=old,
            to=VersionStatus.SUPERSEDED,
            actor=actor,
            action="competitions.results.supersede",
            after={"by": version.number},
            reason=version.reason,
            request=request,
        )
    status_change(
        obj=version,
        to=VersionStatus.PUBLISHED,
        actor=actor,
        action="competitions.results.approve_correction",
        changes={"approved_by": actor, "published_at": timezone.now()},
        reason=version.reason,
        request=request,
    )
    outcomes_reconcile(actor=actor, version=version, request=request)
    return version


@transaction.atomic
def correction_reject(*, actor, version, reason, request=None) -> ResultVersion:
    """Send a proposed correction back (未通过) with a reason; nothing published changes."""
    reason = _required_reason(reason)
    version = _locked_proposal(version)
    if not policies.may_approve_correction(actor, version):
        if actor.pk == version.proposed_by_id:
            raise PermissionDenied("更正须由提出人以外的人社部门工作人员复核。")
        raise PermissionDenied("复核更正须由竞赛所在地人社部门办理。")
    return status_change(
        obj=version,
        to=VersionStatus.REJECTED,
        actor=actor,
        action="competitions.results.reject_correction",
        changes={"approved_by": actor},
        reason=reason,
        request=request,
    )


# --- selectors ---------------------------------------------------------------------------


def published_version(competition, *, lock: bool = False) -> ResultVersion | None:
    """The version the public reads now (None before publication)."""
    rows = ResultVersion.objects.filter(
        competition=competition, status=VersionStatus.PUBLISHED
    )
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def proposed_version(competition) -> ResultVersion | None:
    return (
        ResultVersion.objects.filter(
            competition=competition, status=VersionStatus.PROPOSED
        )
        .select_related("proposed_by")
        .first()
    )


def version_history(competition) -> list[ResultVersion]:
    """Every version, newest first, with who proposed/approved it and, for a returned
    correction, the reason it was sent back (``returned_reason``); two queries."""
    versions = list(
        ResultVersion.objects.filter(competition=competition)
        .select_related("proposed_by", "approved_by")
        .order_by("-number")
    )
    rejected = [str(v.pk) for v in versions if v.status == VersionStatus.REJECTED]
    reasons = {}
    if rejected:
        reasons = dict(
            AuditEvent.objects.filter(
                object_type=ResultVersion._meta.label_lower,
                object_id__in=rejected,
                action="competitions.results.reject_correction",
            ).values_list("object_id", "reason")
        )
    for version in versions:
        version.returned_reason = reasons.get(str(version.pk), "")
    return versions


@dataclass
class Person:
    trainee: object
    certificate: object = None


@dataclass
class Row:
    """One entry's line in a results table: the frozen (or computed) numbers, the
    people in it and, once published, their award certificates."""

    entry: object
    theory: object
    practical: object
    total: object
    worldskills: object
    rank: int | None
    award: str
    formulas: dict
    flags: list
    people: list = field(default_factory=list)


@dataclass
class EventTable:
    event: Event
    rows: list


def _entries_with_people(entry_ids):
    from competitions.models import Entry

    return (
        Entry.objects.filter(pk__in=entry_ids)
        .select_related("delegation_region", "delegation_institution")
        .prefetch_related(
            Prefetch(
                "registrations",
                queryset=Registration.objects.select_related("trainee").order_by("pk"),
            )
        )
        .in_bulk()
    )


def results_table(version) -> list[EventTable]:
    """A version's results per event, best first, with people and their certificates;
    four queries whatever the number of entries."""
    events = list(version.competition.events.select_related("occupation"))
    results = list(
        Result.objects.filter(version=version).order_by("event_id", "rank", "entry_id")
    )
    entries = _entries_with_people([r.entry_id for r in results])
    certificates = {
        (o.event_id, o.trainee_id): o.certificate
        for o in Outcome.objects.filter(
            competition_id=version.competition_id,
            kind=OutcomeKind.CERTIFICATE,
            status=OutcomeStatus.ACTIVE,
        ).select_related("certificate")
    }
    by_event: dict[int, list] = {}
    for r in results:
        formulas = dict(r.formulas or {})
        flags = formulas.pop("flags", [])
        entry = entries[r.entry_id]
        by_event.setdefault(r.event_id, []).append(
            Row(
                entry=entry,
                theory=r.theory,
                practical=r.practical,
                total=r.total,
                worldskills=r.worldskills,
                rank=r.rank,
                award=r.award,
                formulas=formulas,
                flags=flags,
                people=[
                    Person(reg.trainee, certificates.get((r.event_id, reg.trainee_id)))
                    for reg in entry.registrations.all()
                ],
            )
        )
    return [EventTable(event, by_event.get(event.pk, [])) for event in events]


def computed_table(competition) -> list[EventTable]:
    """The working results as ``competitions.scoring`` computes them now (not frozen)."""
    events = list(competition.events.select_related("occupation"))
    computed = scoring.competition_results(competition)
    entries = _entries_with_people(
        [r.entry_id for results in computed.values() for r in results]
    )
    tables = []
    for event in events:
        rows = []
        for r in computed.get(event.pk, []):
            entry = entries[r.entry_id]
            rows.append(
                Row(
                    entry=entry,
                    theory=r.theory,
                    practical=r.practical,
                    total=r.total,
                    worldskills=r.worldskills,
                    rank=r.rank,
                    award=r.award or "",
                    formulas=dict(r.formulas or {}),
                    flags=[str(flag) for flag in (r.flags or [])],
                    people=[Person(reg.trainee) for reg in entry.registrations.all()],
                )
            )
        tables.append(EventTable(event, rows))
    return tables


def outcomes_of(competition):
    """Every outcome of the competition (active and revoked), for the results screen."""
    return (
        Outcome.objects.filter(competition=competition)
        .select_related("event", "trainee", "certificate", "issued_in", "revoked_in")
        .order_by("event__sort_order", "event_id", "status", "rank", "pk")
    )
