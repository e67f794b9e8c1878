"""What the public site reads about competitions (cms.CompetitionPage and its index).

Everything here is read from the records, never retyped: the events as the organiser
set them up, and the results as frozen in the latest *published* :class:`ResultVersion`
(names masked, award certificates linked to their public verification page). A fixed
number of queries whatever the number of events, entries and outcomes.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

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
from training_platform.pii import mask_name

# Competitions the public may see at all: a draft is the organiser's business.
PUBLIC_STATUSES = [
    CompetitionStatus.REGISTRATION,
    CompetitionStatus.SCORING,
    CompetitionStatus.PUBLISHED,
]


def competition_list_public() -> QuerySet[Competition]:
    """Competitions past their draft, newest first (year, then start date)."""
    return (
        Competition.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("host_base")
        .order_by("-year", "-starts_on", "-pk")
    )


def competition_years() -> list[int]:
    """The years that have a public competition, newest first (for a filter)."""
    return list(
        Competition.objects.filter(status__in=PUBLIC_STATUSES)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def competition_for_page(pk: int) -> Competition:
    return Competition.objects.select_related("host_base", "host_base__region").get(
        pk=pk
    )


def events_for_page(competition_id: int) -> list[Event]:
    return list(
        Event.objects.filter(competition_id=competition_id)
        .select_related("occupation")
        .order_by("sort_order", "pk")
    )


@dataclass
class ResultRow:
    rank: int | None
    name: str  # masked person, or the team's name
    members: list[str]  # masked names of a team's members
    is_team: bool
    delegation: str
    theory: Decimal | None
    practical: Decimal | None
    total: Decimal | None
    worldskills: Decimal | None
    award: str
    formulas: dict
    certificates: list[tuple[str, str]] = field(default_factory=list)  # (name, url)


@dataclass
class EventResults:
    event: Event
    rows: list[ResultRow]
    has_worldskills: bool


@dataclass
class OutcomeRow:
    name: str  # what was given: title or promotion text
    person: str  # masked
    event: str
    from_level: str
    to_level: str
    document_no: str


@dataclass
class PublicResults:
    version: ResultVersion
    events: list[EventResults]
    titles: list[OutcomeRow]
    promotions: list[OutcomeRow]

    @property
    def correction_date(self) -> date | None:
        if not self.version.is_correction:
            return None
        when = self.version.published_at or self.version.proposed_at
        return timezone.localdate(when)

    @property
    def correction_reason(self) -> str:
        return self.version.reason if self.version.is_correction else ""


def published_version(competition: Competition) -> ResultVersion | None:
    """The version the public reads: the published one of a published competition."""
    if competition.status != CompetitionStatus.PUBLISHED:
        return None
    return (
        ResultVersion.objects.filter(
            competition=competition, status=VersionStatus.PUBLISHED
        )
        .order_by("-number")
        .first()
    )


def _delegation(entry) -> str:
    if entry.delegation_institution_id:
        return entry.delegation_institution.name
    return entry.delegation_region.name if entry.delegation_region_id else ""


def public_results(competition: Competition) -> PublicResults | None:
    """The published results of ``competition`` as the public page shows them, or
    None while there are none (draft, registration, scoring, nothing published).

    Five queries: the version, the events, the results, their people, the outcomes."""
    version = published_version(competition)
    if version is None:
        return None
    events = events_for_page(competition.pk)
    results = (
        Result.objects.filter(version=version)
        .select_related(
            "entry", "entry__delegation_region", "entry__delegation_institution"
        )
        .prefetch_related(
            Prefetch(
                "entry__registrations",
                queryset=Registration.objects.select_related("trainee").order_by("pk"),
            )
        )
        .order_by("event_id", "rank", "entry__number")
    )
    outcomes = list(
        Outcome.objects.filter(competition=competition, status=OutcomeStatus.ACTIVE)
        .select_related("trainee", "certificate", "event")
        .order_by("event__sort_order", "event_id", "rank", "pk")
    )
    certificates: dict[tuple[int, int], list[tuple[str, str]]] = {}
    titles, promotions = [], []
    for outcome in outcomes:
        person = mask_name(outcome.trainee.name)
        if outcome.kind == OutcomeKind.CERTIFICATE:
            if outcome.certificate_id:
                url = reverse("certificate_verify", args=[outcome.certificate.token])
                key = (outcome.event_id, outcome.trainee_id)
                certificates.setdefault(key, []).append((person, url))
            continue
        row = OutcomeRow(
            name=outcome.name,
            person=person,
            event=outcome.event.name,
            from_level=outcome.get_from_level_display() if outcome.from_level else "",
            to_level=outcome.get_to_level_display() if outcome.to_level else "",
            document_no=outcome.document_no,
        )
        (titles if outcome.kind == OutcomeKind.TITLE else promotions).append(row)

    events_by_pk = {event.pk: event for event in events}
    by_event: dict[int, list[ResultRow]] = {event.pk: [] for event in events}
    for result in results:
        entry = result.entry
        people = [r.trainee for r in entry.registrations.all()]
        event = events_by_pk.get(result.event_id)
        is_team = bool(event and event.is_team)
        masked = [mask_name(p.name) for p in people]
        links = []
        for person in people:
            links.extend(certificates.get((result.event_id, person.pk), []))
        by_event.setdefault(result.event_id, []).append(
            ResultRow(
                rank=result.rank,
                name=entry.team_name if is_team else (masked[0] if masked else ""),
                members=masked if is_team else [],
                is_team=is_team,
                delegation=_delegation(entry),
                theory=result.theory,
                practical=result.practical,
                total=result.total,
                worldskills=result.worldskills,
                award=result.award,
                formulas=result.formulas or {},
                certificates=links,
            )
        )
    return PublicResults(
        version=version,
        events=[
            EventResults(
                event=event,
                rows=by_event.get(event.pk, []),
                has_worldskills=any(
                    row.worldskills is not None for row in by_event.get(event.pk, [])
                ),
            )
            for event in events
        ],
        titles=titles,
        promotions=promotions,
    )
