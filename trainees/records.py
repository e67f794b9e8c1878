"""The lifetime training record (终身培训电子档案), composed from record sources.

Higher apps (courses, certificates, competitions, subsidies) register a
:class:`RecordSource` for their part of a person's record on
``trainees.extensions.record_sources`` in their ``AppConfig.ready()``; this module never
imports them. A provider takes a :class:`~trainees.models.Trainee` and returns that person's
entries as a list, with a fixed number of queries however many entries there are
(``select_related`` / ``prefetch_related``, never a query per entry).

An entry says what it is in plain pairs (``facts``: label, value), so that one timeline
(``/me/record/``, the back-office trainee page, the PDF and the xlsx) shows every source
alike, including sources added later, without knowing them. ``kind`` names the entry
(培训, 证书, 补贴, …; the section's title when empty), ``status`` its state as a person
reads it, ``url`` a page about it (a certificate's verification page) and ``qr_url`` an
absolute address the PDF prints as a QR (a valid certificate's verification page).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trainees.extensions import record_sources
from trainees.models import KeyGroupMembership, Trainee
from training_platform import access

GENERIC_SECTION_TEMPLATE = "trainees/record_section.html"


@dataclass(frozen=True)
class RecordEntry:
    """One line of the record; ``obj`` is the source's own row for its own template."""

    date: dt.date | None
    title: str
    detail: str = ""
    obj: Any = None
    extra: dict = field(default_factory=dict)
    kind: str = ""
    status: str = ""
    facts: tuple = ()  # ((label, value), ...): values already as a person reads them
    url: str = ""
    qr_url: str = ""


Provider = Callable[[Trainee], list[RecordEntry]]


@dataclass(frozen=True)
class RecordSource:
    name: str
    title: str
    provider: Provider
    template: str = GENERIC_SECTION_TEMPLATE
    order: int = 100
    #: The model whose rows the entries are (``entry.obj["pk"]``; it has a ``trainee``
    #: foreign key): staff reading the record see only the entries
    #: ``training_platform.access`` lets them see. ``None``:
    #: facts of the person that whoever may see the person sees (key groups).
    model: type | None = None


@dataclass(frozen=True)
class RecordSection:
    name: str
    title: str
    template: str
    entries: list


@dataclass(frozen=True)
class TimelineItem:
    """An entry on the timeline, with the section it came from."""

    section: RecordSection
    entry: RecordEntry

    @property
    def kind(self) -> str:
        return self.entry.kind or self.section.title

    @property
    def day(self) -> str:
        """The entry's date as the screens write it (2026-12-01), "" for none."""
        return self.entry.date.isoformat() if self.entry.date else ""

    @property
    def facts(self) -> tuple:
        entry = self.entry
        if entry.facts:
            return entry.facts
        return ((_("说明"), entry.detail),) if entry.detail else ()


@dataclass(frozen=True)
class Record:
    trainee: Trainee
    sections: list[RecordSection]

    def section(self, name: str) -> RecordSection | None:
        return next((s for s in self.sections if s.name == name), None)

    def timeline(self) -> list[tuple[RecordSection, RecordEntry]]:
        """Every entry of every section, newest first (undated entries last)."""
        pairs = [(s, e) for s in self.sections for e in s.entries]
        return sorted(pairs, key=lambda p: p[1].date or dt.date.min, reverse=True)

    def in_time_order(self) -> list[TimelineItem]:
        """The lifetime record as one timeline, oldest first; undated entries last.

        Entries of one day keep their sources' order (enrolment before certificate before
        subsidy) and each source's own order.
        """
        items = [TimelineItem(s, e) for s in self.sections for e in s.entries]
        return sorted(
            items,
            key=lambda i: (i.entry.date is None, i.entry.date or dt.date.min),
        )

    def __len__(self) -> int:
        return sum(len(s.entries) for s in self.sections)


def record_for(trainee: Trainee, *, viewer=None) -> Record:
    """The person's record: one section per registered source, in source order.

    The person sees all of it. Staff (``viewer``) see it scoped as everything else: an
    entry only if they may see its row (another institution's class or claim is left
    out), one query per source whatever the length.
    """
    sections = []
    for source in sorted(record_sources, key=lambda s: (s.order, s.name)):
        entries = list(source.provider(trainee))
        if viewer is not None and source.model is not None:
            entries = _visible_entries(viewer, source.model, trainee, entries)
        sections.append(
            RecordSection(
                name=source.name,
                title=source.title,
                template=source.template,
                entries=entries,
            )
        )
    return Record(trainee=trainee, sections=sections)


def _visible_entries(viewer, model, trainee, entries: list[RecordEntry]) -> list:
    """The entries whose rows (the person's rows of ``model``) ``viewer`` may see."""
    seen = set(
        access.visible(viewer, model.objects.filter(trainee=trainee)).values_list(
            "pk", flat=True
        )
    )
    return [entry for entry in entries if entry.obj["pk"] in seen]


# --- trainees' own part: key-group memberships ------------------------------------------


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


KEY_GROUP_WORDS = {
    "kind": _("重点群体"),
    "since": _("认定日期"),
    "until": _("截止日期"),
    "open": _("至今"),
    "evidence": _("认定依据"),
    "active": _("有效"),
    "ended": _("已截止"),
}


def key_group_entries(trainee: Trainee) -> list[RecordEntry]:
    """The person's key-group memberships (重点群体) with their dates, in one query."""
    words = {key: str(value) for key, value in KEY_GROUP_WORDS.items()}  # once
    rows = KeyGroupMembership.objects.filter(trainee=trainee).select_related("group")
    today = timezone.localdate()
    entries = []
    for membership in rows.order_by("since", "id"):
        group = str(membership.group)
        facts = [
            (words["kind"], group),
            (words["since"], _day(membership.since)),
            (
                words["until"],
                _day(membership.until) if membership.until else words["open"],
            ),
        ]
        if membership.evidence:
            facts.append((words["evidence"], membership.evidence))
        entries.append(
            RecordEntry(
                date=membership.since,
                title=group,
                obj=membership,
                kind=words["kind"],
                status=words["active" if membership.active_on(today) else "ended"],
                facts=tuple(facts),
            )
        )
    return entries


KEY_GROUPS = RecordSource(
    "key_groups",
    _("重点群体身份"),
    key_group_entries,
    order=5,
)
