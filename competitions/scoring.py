"""Computed marks, ranks and awards of a competition (never typed, always derived).

From the typed rows (``Entry.theory`` / ``Entry.practical`` and :class:`JudgeMark`)
this module computes, for every entry of an event, a :class:`ComputedResult` with the
formula text of each derived score, so a reader can redo the sum by hand:

- **Practical mark from judges** (``event.uses_judges``): ``JudgeMethod.MEAN`` is the
  mean of all judges' marks; ``JudgeMethod.TRIMMED`` drops one highest and one lowest
  mark and takes the mean of the rest (with fewer than 3 marks there is nothing to drop
  and the plain mean is used). When the highest and lowest marks differ by more than
  ``event.judge_spread`` the entry is flagged for review. Otherwise the typed
  ``entry.practical`` is used.
- **Total** = theory × theory weight % + practical × practical weight %. A mark that is
  missing (and whose weight is not 0) gives no total: the entry is flagged and not ranked.
- **Rank**: by total, highest first. Equal totals share a rank and the next rank is
  skipped (1, 2, 2, 4). With ``event.tie_break_practical`` equal totals are ordered by
  the practical mark, and only equal (total, practical) share a rank. Withdrawn entries
  are not ranked.
- **WorldSkills scale** (``event.worldskills_scale`` only): 700 + (total − median) ÷ sd
  × 20, where median and sd (population standard deviation) are those of the ranked
  totals, each rounded to 0.01 before use so the formula shown reproduces the score.
  domain.md fixes that the median competitor gets 700; the spread factor of 20 points
  per standard deviation is our own choice, stated here and on the results pages. When
  the totals do not spread (sd = 0) everyone gets 700.
- **Awards** come from ``competition.award_rules`` in their order. Each rule's cap is
  cumulative: a ``count`` rule adds ``count`` places to the places already given; a
  ``share`` rule allows places up to floor(ranked field × share %) counted from the top,
  the better awards included (优胜奖 50 % of 20 → places up to 10). An entry of rank r
  gets the first rule whose cap ≥ r, so entries tied at an edge share the better award.
  In a team event the team (the entry) is ranked and awarded.

Every value is a ``Decimal`` rounded to 0.01 half up. The functions fetch entries, judge
marks and award rules once each, whatever the number of entries or events.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import (
    AwardRule,
    Competition,
    CompetitionStatus,
    Entry,
    Event,
    JudgeMark,
    JudgeMethod,
    ResultVersion,
    VersionStatus,
)

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
WORLDSKILLS_CENTRE = Decimal("700")
WORLDSKILLS_SPREAD = Decimal("20")


@dataclass(frozen=True)
class ComputedResult:
    entry_id: int
    theory: Decimal | None
    practical: Decimal | None
    total: Decimal | None
    worldskills: Decimal | None
    rank: int | None
    award: str
    formulas: dict[str, str]
    flags: tuple[str, ...]


def q2(value: Decimal) -> Decimal:
    """Round to 0.01, half up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """A typed mark or weight as written: ``86.00`` → ``86``, ``86.50`` → ``86.5``."""
    return format(Decimal(value).normalize(), "f")


def two(value: Decimal) -> str:
    return format(q2(value), "f")


def judge_key(judge: str):
    """J2 before J10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", judge)]


def judge_practical(event: Event, marks: list[JudgeMark]):
    """(practical, formula, flags) from one entry's judge marks (sorted by judge)."""
    if not marks:
        return None, "", ()
    values = [m.mark for m in marks]
    flags = []
    high = max(marks, key=lambda m: m.mark)
    low = min(marks, key=lambda m: m.mark)
    spread = high.mark - low.mark
    if spread > event.judge_spread:
        first, second = sorted([high.judge, low.judge], key=judge_key)
        flags.append(
            f"裁判 {first} 与 {second} 评分相差 {two(spread)}，"
            f"超过允许差 {two(event.judge_spread)}"
        )
    if event.judge_method == JudgeMethod.TRIMMED and len(values) >= 3:
        ordered = sorted(values)
        kept = ordered[1:-1]
        practical = q2(sum(kept) / len(kept))
        formula = (
            f"去掉最高分 {plain(ordered[-1])}、最低分 {plain(ordered[0])}："
            f"({' + '.join(plain(v) for v in kept)}) ÷ {len(kept)} = {two(practical)}"
        )
    else:
        practical = q2(sum(values) / len(values))
        formula = (
            f"({' + '.join(plain(v) for v in values)}) ÷ {len(values)} = "
            f"{two(practical)}"
        )
    return practical, formula, tuple(flags)


def _total(event: Event, theory, practical):
    """(total, formula, flags)."""
    parts, terms, flags = [], [], []
    for label, mark, weight in (
        ("理论", theory, event.theory_weight),
        ("实操", practical, event.practical_weight),
    ):
        if not weight:
            continue
        if mark is None:
            flags.append(f"缺少{label}成绩")
            continue
        parts.append(mark * weight / HUNDRED)
        terms.append(f"{two(mark)} × {plain(weight)}%")
    if flags:
        return None, "", tuple(flags)
    total = q2(sum(parts, Decimal("0")))
    return total, f"{' + '.join(terms)} = {two(total)}", ()


def _rank(rows: list[dict], tie_break_practical: bool) -> None:
    """Set ``rank`` on the ranked rows (standard competition ranking, 1, 2, 2, 4)."""

    def key(row):
        practical = row["practical"] if row["practical"] is not None else Decimal(-1)
        return (row["total"], practical if tie_break_practical else Decimal(0))

    rows.sort(key=lambda row: (tuple(-k for k in key(row)), row["number"]))
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if key(row) != previous:
            rank, previous = position, key(row)
        row["rank"] = rank


def award_caps(rules: list[AwardRule], field: int) -> list[tuple[AwardRule, int, str]]:
    """Each rule with its cumulative cap (the last place it may reach) and how."""
    caps, running, parts = [], 0, []
    for rule in rules:
        if rule.count is not None:
            running += rule.count
            parts.append(f"{rule.name} {rule.count} 名")
            how = f"前 {running} 名（{' + '.join(parts)}）"
        else:
            share_cap = int(field * rule.share / HUNDRED)
            running = max(running, share_cap)
            parts = [f"{rule.name}"]
            how = (
                f"前 {running} 名（参赛 {field} 名 × {plain(rule.share)}% "
                f"= {share_cap} 名，含以上奖项）"
            )
        caps.append((rule, running, how))
    return caps


def _worldskills(ranked: list[dict]) -> None:
    totals = [row["total"] for row in ranked]
    if not totals:
        return
    median = q2(statistics.median(totals))
    sd = q2(statistics.pstdev(totals))
    for row in ranked:
        if sd == 0:
            row["worldskills"] = WORLDSKILLS_CENTRE
            row["formulas"]["worldskills"] = "各选手总分相同（标准差为 0），均为 700"
            continue
        score = q2(
            WORLDSKILLS_CENTRE + (row["total"] - median) / sd * WORLDSKILLS_SPREAD
        )
        row["worldskills"] = score
        row["formulas"]["worldskills"] = (
            f"700 + ({two(row['total'])} − {two(median)}) ÷ {two(sd)} × 20 = "
            f"{two(score)}"
        )


def compute_event(
    event: Event,
    entries: list[Entry],
    marks: list[JudgeMark],
    rules: list[AwardRule],
) -> list[ComputedResult]:
    """Results of ``event`` from rows already fetched (no query): its entries, the
    judge marks of those entries and the competition's award rules in order."""
    by_entry = defaultdict(list)
    for mark in marks:
        by_entry[mark.entry_id].append(mark)
    rows = []
    for entry in entries:
        formulas, flags = {}, []
        practical = entry.practical
        if event.uses_judges:
            own = sorted(by_entry.get(entry.pk, []), key=lambda m: judge_key(m.judge))
            practical, formula, judge_flags = judge_practical(event, own)
            if formula:
                formulas["practical"] = formula
            flags.extend(judge_flags)
        total, formula, total_flags = _total(event, entry.theory, practical)
        if formula:
            formulas["total"] = formula
        flags.extend(total_flags)
        if entry.withdrawn:
            flags.append("已退赛")
        rows.append(
            {
                "entry_id": entry.pk,
                "number": entry.number,
                "theory": entry.theory,
                "practical": practical,
                "total": total,
                "worldskills": None,
                "rank": None,
                "award": "",
                "formulas": formulas,
                "flags": flags,
                "withdrawn": entry.withdrawn,
            }
        )
    ranked, unranked = [], []
    for row in rows:
        rankable = row["total"] is not None and not row["withdrawn"]
        (ranked if rankable else unranked).append(row)
    unranked.sort(key=lambda row: row["number"])
    _rank(ranked, event.tie_break_practical)
    if event.worldskills_scale:
        _worldskills(ranked)
    caps = award_caps(rules, len(ranked))
    for row in ranked:
        for rule, cap, how in caps:
            if row["rank"] <= cap:
                row["award"] = rule.name
                row["formulas"]["award"] = f"第 {row['rank']} 名，在{rule.name}{how}内"
                break
    return [
        ComputedResult(
            entry_id=row["entry_id"],
            theory=row["theory"],
            practical=row["practical"],
            total=row["total"],
            worldskills=row["worldskills"],
            rank=row["rank"],
            award=row["award"],
            formulas=row["formulas"],
            flags=tuple(row["flags"]),
        )
        for row in ranked + unranked
    ]


def _rules(competition_id) -> list[AwardRule]:
    return list(
        AwardRule.objects.filter(competition_id=competition_id).order_by(
            "sort_order", "pk"
        )
    )


def event_results(event: Event) -> list[ComputedResult]:
    """The computed results of one event, by rank (unranked last). Three queries."""
    entries = list(Entry.objects.filter(event_id=event.pk).order_by("number"))
    marks = list(JudgeMark.objects.filter(entry__event_id=event.pk))
    return compute_event(event, entries, marks, _rules(event.competition_id))


def competition_results(competition: Competition) -> dict[int, list[ComputedResult]]:
    """Event id → computed results, for every event. Four queries."""
    events = list(
        Event.objects.filter(competition_id=competition.pk).order_by("sort_order", "pk")
    )
    entries = defaultdict(list)
    for entry in Entry.objects.filter(event__competition_id=competition.pk).order_by(
        "number"
    ):
        entries[entry.event_id].append(entry)
    marks = defaultdict(list)
    for mark in JudgeMark.objects.filter(
        entry__event__competition_id=competition.pk
    ).select_related(None):
        marks[mark.entry_id].append(mark)
    rules = _rules(competition.pk)
    results = {}
    for event in events:
        own = entries.get(event.pk, [])
        own_marks = [m for entry in own for m in marks.get(entry.pk, [])]
        results[event.pk] = compute_event(event, own, own_marks, rules)
    return results


def scores_editable(competition: Competition) -> bool:
    """Scores may be typed while scoring, and after publication as long as no
    correction is waiting for approval (the correction is drafted on the working
    scores; the published version stays frozen)."""
    if competition.status == CompetitionStatus.SCORING:
        return True
    if competition.status == CompetitionStatus.PUBLISHED:
        return not ResultVersion.objects.filter(
            competition_id=competition.pk, status=VersionStatus.PROPOSED
        ).exists()
    return False
