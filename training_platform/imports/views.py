"""What every import screen's pages share, whatever the target (a class, an event):
the preview's list of people and the counts, shaped for the templates
``training_platform/imports/_people.html`` and ``_summary.html``."""

from collections.abc import Callable, Iterable

from training_platform.imports.kinds import ImportKind, PlannedRow
from training_platform.imports.services import PEOPLE_SHOWN


def people_context(
    people: list[PlannedRow] | None,
    *,
    kind: ImportKind,
    url: str,
    mask_who: Callable[[str], str] | None = None,
    shown: int = PEOPLE_SHOWN,
) -> dict:
    """The first ``shown`` people of ``upload_people`` for the page, the count and
    the download's ``url`` (``people`` ``None``: nothing is listed)."""
    if people is None:
        return {"people": None}
    rows = [
        {
            "number": p.number,
            "who": mask_who(p.who) if mask_who else p.who,
            "ident": p.ident,
            "outcome": p.outcome,
            "label": kind.outcome_label(p.outcome),
            "detail": p.detail,
            "warning": p.warning,
        }
        for p in people[:shown]
    ]
    return {
        "people": rows,
        "people_count": len(people),
        "people_more": max(len(people) - shown, 0),
        "people_url": url,
    }


def counts_context(
    counts: Iterable[tuple[str, str, int]], *, summary: dict, prefix: str
) -> list[dict]:
    """The summary table's rows: the kind's ``(key, label, value)`` counts, then the
    template's sample rows skipped, with element ids ``<prefix>-<key>``."""
    counts = list(counts)
    if summary.get("skipped"):
        counts.append(("skipped", "已跳过（模板示例行）", summary["skipped"]))
    return [
        {"id": f"{prefix}-{key}", "label": label, "value": value}
        for key, label, value in counts
    ]
