"""The lifetime training record (终身培训电子档案), composed from record sources.

Higher apps (courses, certificates, competitions, subsidies) register a
:class:`RecordSource` for their part of a person's record on
``trainees.extensions.record_sources`` in their ``AppConfig.ready()``; this module never
imports them. A provider takes a :class:`~trainees.models.Trainee` and returns that person's
entries as a list, with a fixed number of queries however many entries there are
(``select_related`` / ``prefetch_related``, never a query per entry).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainees.extensions import record_sources
from trainees.models import Trainee

GENERIC_SECTION_TEMPLATE = "trainees/record_section.html"


@dataclass(frozen=True)
class RecordEntry:
    """One line of the record; ``obj`` is the source's own row for its own template."""

    date: dt.date | None
    title: str
    detail: str = ""
    obj: Any = None
    extra: dict = field(default_factory=dict)


Provider = Callable[[Trainee], list[RecordEntry]]


@dataclass(frozen=True)
class RecordSource:
    name: str
    title: str
    provider: Provider
    template: str = GENERIC_SECTION_TEMPLATE
    order: int = 100


@dataclass(frozen=True)
class RecordSection:
    name: str
    title: str
    template: str
    entries: list


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


def record_for(trainee: Trainee) -> Record:
    """The person's whole record: one section per registered source, in source order."""
    return Record(
        trainee=trainee,
        sections=[
            RecordSection(
                name=source.name,
                title=source.title,
                template=source.template,
                entries=list(source.provider(trainee)),
            )
            for source in sorted(record_sources, key=lambda s: (s.order, s.name))
        ],
    )
