"""What one kind of import declares: its columns, how rows are checked and planned
(writing nothing), and how a valid plan is applied. The pipeline (``services``) does the
rest: storing, reading, preview, confirm, background run, summary, error rows, cleanup.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from training_platform import xlsx
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


class Plan(Protocol):
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

    def skip_row(self, cells: dict) -> bool:
        """Rows left out when reading (e.g. a template's sample row)."""
        return False

    def read(self, fileobj, *, limits: xlsx.Limits = xlsx.DEFAULT_LIMITS) -> Rows:
        """The rows of an xlsx file (``reading.read_table`` with this kind's columns)."""
        return read_table(fileobj, self.columns, limits=limits, skip=self.skip_row)

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
