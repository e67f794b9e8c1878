"""The competitions part of a person's lifetime record (registered in
``CompetitionsConfig``), and the titles they earned for ``bases.extensions.earned_honours``.

- each published result: competition, event, rank and award, linking to the award
  certificate's verification page (the certificate itself is also in the certificates
  section; here it is named, not repeated as an entry);
- each active title (称号, with the approving document) and promotion (晋级: from-level
  → to-level, document number).

Entries are the person's :class:`~competitions.models.Registration` rows as staff see
them (``obj["pk"]`` is the registration of that event): a titles' or promotions' rows
follow the same rule (their competition). Three queries whatever the length.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from bases.honours import EarnedHonour
from competitions.models import (
    CompetitionStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Registration,
    Result,
    VersionStatus,
)
from trainees.records import RecordEntry, RecordSource
from training_platform.reference.models import SkillLevel

CONTEXT = "competition record"  # own context: other pages translate these words too


def _(text):
    return pgettext_lazy(CONTEXT, text)


LABELS = {
    "result": _("竞赛成绩"),
    "title": _("荣誉称号"),
    "promotion": _("技能等级晋升"),
    "competition": _("竞赛"),
    "event": _("赛项"),
    "rank": _("名次"),
    "award": _("奖项"),
    "certificate": _("获奖证书"),
    "name": _("称号"),
    "document": _("批准文号"),
    "from": _("原等级"),
    "to": _("晋升等级"),
    "none": _("未获奖"),
    "rank_of": _("第 %(rank)s 名"),
    "no_level": _("无"),
    "active": _("有效"),
}


def _level(value: str, none: str) -> str:
    return SkillLevel(value).label if value else none


def competition_entries(trainee) -> list[RecordEntry]:
    """Published results, titles and promotions of the person, oldest first."""
    label = {key: str(value) for key, value in LABELS.items()}  # once, not per row
    registrations = {
        r.event_id: r
        for r in Registration.objects.filter(
            trainee=trainee, event__competition__status=CompetitionStatus.PUBLISHED
        ).select_related("event", "event__competition")
    }
    if not registrations:
        return []
    results = Result.objects.filter(
        entry_id__in=[r.entry_id for r in registrations.values()],
        version__status=VersionStatus.PUBLISHED,
    ).select_related("version")
    outcomes = list(
        Outcome.objects.filter(
            trainee=trainee, status=OutcomeStatus.ACTIVE
        ).select_related("certificate")
    )
    certificates = {
        o.event_id: o.certificate
        for o in outcomes
        if o.kind == OutcomeKind.CERTIFICATE and o.certificate_id
    }
    entries = []
    for result in results:
        registration = registrations.get(result.event_id)
        if registration is None:
            continue
        event = registration.event
        competition = event.competition
        rank = label["rank_of"] % {"rank": result.rank} if result.rank else "—"
        award = result.award or label["none"]
        facts = [
            (label["competition"], competition.name),
            (label["event"], event.name),
            (label["rank"], rank),
            (label["award"], award),
        ]
        certificate = certificates.get(result.event_id)
        url = ""
        if certificate is not None:
            facts.append((label["certificate"], certificate.number))
            url = reverse("certificate_verify", args=[certificate.token])
        entries.append(
            RecordEntry(
                date=timezone.localdate(result.version.published_at)
                if result.version.published_at
                else None,
                title=f"{competition.name} · {event.name}",
                detail=f"{rank} {award}",
                obj={"pk": registration.pk, "result": result.pk},
                kind=label["result"],
                status=award,
                facts=tuple(facts),
                url=url,
            )
        )
    for outcome in outcomes:
        registration = registrations.get(outcome.event_id)
        if registration is None or outcome.kind == OutcomeKind.CERTIFICATE:
            continue
        event = registration.event
        facts = [
            (label["competition"], event.competition.name),
            (label["event"], event.name),
        ]
        if outcome.kind == OutcomeKind.TITLE:
            kind = label["title"]
            facts.append((label["name"], outcome.name))
        else:
            kind = label["promotion"]
            facts += [
                (label["from"], _level(outcome.from_level, label["no_level"])),
                (label["to"], _level(outcome.to_level, label["no_level"])),
            ]
        facts.append((label["document"], outcome.document_no or "—"))
        entries.append(
            RecordEntry(
                date=outcome.issued_on,
                title=outcome.name,
                detail=event.competition.name,
                obj={"pk": registration.pk, "outcome": outcome.pk},
                kind=kind,
                status=label["active"],
                facts=tuple(facts),
            )
        )
    entries.sort(key=lambda e: (e.date is None, e.date))
    return entries


COMPETITIONS = RecordSource(
    "competitions",
    _("竞赛成绩"),
    competition_entries,
    order=25,
    model=Registration,
)


def titles_earned(trainee_ids) -> dict[int, list[EarnedHonour]]:
    """Active titles won in competitions, per person (one query)."""
    honours: dict[int, list[EarnedHonour]] = {}
    rows = (
        Outcome.objects.filter(
            trainee_id__in=list(trainee_ids),
            kind=OutcomeKind.TITLE,
            status=OutcomeStatus.ACTIVE,
        )
        .select_related("competition")
        .order_by("issued_on", "pk")
    )
    for outcome in rows:
        honours.setdefault(outcome.trainee_id, []).append(
            EarnedHonour(
                name=outcome.name,
                year=outcome.issued_on.year,
                document_no=outcome.document_no,
                source=outcome.competition.name,
            )
        )
    return honours
