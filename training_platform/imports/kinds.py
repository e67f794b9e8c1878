"""What one kind of import declares: its columns, how rows are checked and planned
(writing nothing), and how a valid plan is applied. The pipeline (``services``) does the
rest: storing, reading, preview, confirm, background run, summary, error rows, cleanup.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from training_platform import pii, xlsx
from training_platform.imports.reading import Rows, read_table


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def template_header(self) -> str:
        """The header as the template shows it (required columns end with ``*``)."""
        return f"{self.header}*" if self.required else self.header


@dataclass
class RowError:
    row: int  # 0: the whole file
    column: str  # the column's header, or ""
    message: str


def errors_as_dicts(errors: Iterable[RowError]) -> list[dict]:
    """Errors in the shape summaries carry them."""
    return [{"row": e.row, "column": e.column, "message": e.message} for e in errors]


@dataclass(frozen=True)
class PlannedRow:
    """What applying a plan would do to one row of the file: the preview's "who".

    ``who`` is the person as the file or the records name them (the screen masks it as
    the viewer's role requires); ``ident`` an identifier already masked
    (``pii.mask_id_number``: a full ID number never leaves the plan); ``outcome`` a key
    of the kind's ``outcomes`` (or ``ERROR`` / ``SKIPPED``); ``detail`` what changes, or
    the row's errors, in words; ``warning`` something to check that does not stop the
    import (e.g. a score that disagrees with the result).
    """

    number: int
    who: str
    outcome: str
    detail: str = ""
    ident: str = ""
    warning: str = ""


ERROR = "error"
SKIPPED = "skipped"
BASE_OUTCOMES: tuple[tuple[str, str], ...] = ((ERROR, "有错误"), (SKIPPED, "已跳过"))


def error_details(errors: Iterable[RowError]) -> dict[int, str]:
    """Each row's errors as one text (``列：说明；…``), by row number."""
    details: dict[int, list[str]] = {}
    for e in errors:
        text = f"{e.column}：{e.message}" if e.column else e.message
        details.setdefault(e.row, []).append(text)
    return {row: "；".join(texts) for row, texts in details.items()}


class Plan(Protocol):
    """What ``ImportKind.plan`` returns. A plan may also offer ``people()``: a
    ``PlannedRow`` for every row read (errors included), in row order; the preview then
    lists who each row is and what will happen to them."""

    errors: list[RowError]

    def summary(self) -> dict: ...


class ImportKind:
    """One kind of import. Subclasses set the class attributes and ``plan`` / ``apply``.

    A summary is ``{"rows": n, <the kind's counts>, "errors": [...]}``; ``counts`` are
    the kind's count keys with the value they have when nothing was imported.
    """

    key: str = ""  # stored in the job row's ``kind``
    noun: str = ""  # 花名册
    columns: tuple[Column, ...] = ()
    counts: tuple[str, ...] = ()
    text_keys: frozenset = frozenset()  # written as text in the error rows
    empty_message = "文件中没有学员数据，请在表头下方逐行填写后再上传。"
    # (outcome key, label) of the rows a plan's ``people()`` lists; ERROR and SKIPPED
    # are every kind's (``outcome_label``).
    outcomes: tuple[tuple[str, str], ...] = ()
    skip_note = "示例行，已跳过"  # the detail of a row ``skip_row`` left out
    who_key = "name"  # the column naming the person, for rows the plan never saw
    ident_key = "id_number"  # and the one identifying them (shown masked)

    def skip_row(self, cells: dict) -> bool:
        """Rows left out when reading (e.g. a template's sample row)."""
        return False

    def read(
        self,
        fileobj,
        *,
        limits: xlsx.Limits = xlsx.DEFAULT_LIMITS,
        skipped: list | None = None,
    ) -> Rows:
        """The rows of an xlsx file (``reading.read_table`` with this kind's columns);
        rows ``skip_row`` leaves out are appended to ``skipped`` when it is given."""
        return read_table(
            fileobj, self.columns, limits=limits, skip=self.skip_row, skipped=skipped
        )

    def people(self, plan) -> list[PlannedRow] | None:
        """Who each planned row is and what will happen to them (``None``: this
        kind's plans do not say)."""
        people = getattr(plan, "people", None)
        return people() if people is not None else None

    def skipped_row(self, number: int, cells: dict) -> PlannedRow:
        """The preview's line for a row ``skip_row`` left out."""
        return PlannedRow(
            number,
            str(cells.get(self.who_key) or ""),
            SKIPPED,
            self.skip_note,
            pii.mask_id_number(str(cells.get(self.ident_key) or "")),
        )

    def header_of(self, key: str) -> str:
        """The header of a column the file named itself (``reading.read_table``'s
        ``extra``), for the error rows."""
        return key

    def outcome_label(self, outcome: str) -> str:
        return dict(BASE_OUTCOMES + self.outcomes).get(outcome, outcome)

    def plan(self, *, target, rows: Iterable) -> Plan:
        """Check every row and work out what applying would do; writes nothing."""
        raise NotImplementedError

    def apply(self, *, plan: Any, actor=None, request=None) -> dict:
        """Write a plan without errors at once (atomic, under the target's lock)."""
        raise NotImplementedError

    def authorize(self, *, actor, target) -> None:
        """Raise ``PermissionDenied`` if ``actor`` may not import into ``target`` (dry
        runs included); callers that checked already (the views) go to ``check``."""

    def check(self, *, target, rows: Iterable) -> dict:
        """The dry-run summary."""
        return self.plan(target=target, rows=rows).summary()

    def run(
        self, *, target, rows: Iterable, actor=None, request=None, dry_run=False
    ) -> dict:
        """Plan and, unless it is a dry run or has errors, apply; the summary."""
        self.authorize(actor=actor, target=target)
        plan = self.plan(target=target, rows=rows)
        if dry_run or plan.errors:
            return plan.summary()
        return self.apply(plan=plan, actor=actor, request=request)

    def refused(self, messages: Iterable[str]) -> dict:
        """The summary of a file refused as a whole (nothing read, nothing written)."""
        return {
            "rows": 0,
            **dict.fromkeys(self.counts, 0),
            "errors": [{"row": 0, "column": "", "message": m} for m in messages],
        }
