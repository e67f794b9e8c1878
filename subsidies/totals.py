"""补贴统计: counts and amounts of claims by prefecture (市（州）) and subsidy kind.

One GROUP BY query over the claims the user may see (``access.visible``) gives, for each
prefecture and kind, the count and the amount (Decimal, to the cent) of the claims
in process, approved and not yet paid, and paid; one more query names the prefectures
(``training_platform.reference`` Region). A claim's prefecture is its region's first
four digits + "00" (520102 南明区 → 520100 贵阳市); a claim of the province itself
(520000) counts under 省本级.

The stages (drafts, rejected and withdrawn claims are not counted):

- 在审 (in process): submitted, under review, returned for correction;
- 审核通过未拨付 (approved): approved, in notice, noticed, in a batch, payment failed;
- 已拨付 (paid): paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, Concat, Substr

from subsidies.models import Claim, ClaimStatus, SubsidyKind
from training_platform import access
from training_platform.reference.models import Region, RegionLevel
from training_platform.roles import Role

ZERO = Decimal("0.00")
PROVINCE_CODE = "520000"
PROVINCE_LABEL = "省本级"


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    statuses: tuple


STAGES = (
    Stage(
        "in_process",
        "在审",
        (ClaimStatus.SUBMITTED, ClaimStatus.UNDER_REVIEW, ClaimStatus.RETURNED),
    ),
    Stage(
        "approved",
        "审核通过未拨付",
        (
            ClaimStatus.APPROVED,
            ClaimStatus.IN_NOTICE,
            ClaimStatus.NOTICED,
            ClaimStatus.IN_BATCH,
            ClaimStatus.PAYMENT_FAILED,
        ),
    ),
    Stage("paid", "已拨付", (ClaimStatus.PAID,)),
)
COUNTED = tuple(s for stage in STAGES for s in stage.statuses)


@dataclass
class Cell:
    """Count and amount of one stage (or of all of them)."""

    count: int = 0
    amount: Decimal = ZERO

    def add(self, other: Cell) -> None:
        self.count += other.count
        self.amount += other.amount


@dataclass
class Line:
    """One prefecture and kind (or a total): a cell per stage and their sum."""

    stages: dict = field(default_factory=lambda: {s.key: Cell() for s in STAGES})

    @property
    def total(self) -> Cell:
        cell = Cell()
        for part in self.stages.values():
            cell.add(part)
        return cell

    def add(self, other: Line) -> None:
        for key, cell in other.stages.items():
            self.stages[key].add(cell)


@dataclass
class Totals:
    """The table: prefectures (rows) × kinds (columns), each cell a :class:`Line`."""

    prefectures: list  # [(code, name)]
    kinds: list  # [(value, label)]
    cells: dict  # {(prefecture code, kind): Line}

    def line(self, prefecture: str, kind: str) -> Line:
        return self.cells.get((prefecture, kind)) or Line()

    def row_total(self, prefecture: str) -> Line:
        line = Line()
        for kind, _ in self.kinds:
            line.add(self.line(prefecture, kind))
        return line

    def column_total(self, kind: str) -> Line:
        line = Line()
        for code, _ in self.prefectures:
            line.add(self.line(code, kind))
        return line

    @property
    def grand_total(self) -> Line:
        line = Line()
        for kind, _ in self.kinds:
            line.add(self.column_total(kind))
        return line


def _stage_aggregates() -> dict:
    money = DecimalField(max_digits=14, decimal_places=2)
    aggregates = {}
    for stage in STAGES:
        within = Q(status__in=stage.statuses)
        aggregates[f"{stage.key}_count"] = Count("id", filter=within)
        aggregates[f"{stage.key}_amount"] = Coalesce(
            Sum("amount", filter=within, output_field=money),
            Value(ZERO),
            output_field=money,
        )
    return aggregates


def _prefectures_in_scope(user, found: set) -> list:
    """The prefectures the user covers (all nine for the province), and any with claims."""
    scope = access.scope_for(user)
    prefixes = scope.region_prefixes(Role.BUREAU) + scope.region_prefixes(Role.AUDITOR)
    regions = Region.objects.filter(
        Q(level=RegionLevel.PREFECTURE) | Q(code=PROVINCE_CODE)
    ).order_by("code")
    rows = []
    for region in regions:
        covered = scope.is_superuser or any(
            region.code.startswith(p) or p.startswith(region.code[:4]) for p in prefixes
        )
        if region.code == PROVINCE_CODE:
            covered = False  # shown only when a claim of the province itself exists
        if covered or region.code in found:
            label = PROVINCE_LABEL if region.code == PROVINCE_CODE else region.name
            rows.append((region.code, label))
    return rows


def totals(user) -> Totals:
    """Counts and amounts of the visible claims by prefecture and kind (two queries)."""
    grouped = (
        access.visible(user, Claim.objects.filter(status__in=COUNTED))
        .annotate(
            prefecture=Concat(
                Substr("region_id", 1, 4), Value("00"), output_field=CharField()
            )
        )
        .values("prefecture", "kind")
        .annotate(**_stage_aggregates())
        .order_by("prefecture", "kind")
    )
    cells = {}
    for row in grouped:
        line = Line()
        for stage in STAGES:
            line.stages[stage.key] = Cell(
                row[f"{stage.key}_count"], row[f"{stage.key}_amount"] or ZERO
            )
        cells[(row["prefecture"], row["kind"])] = line
    prefectures = _prefectures_in_scope(user, {code for code, _ in cells})
    return Totals(prefectures=prefectures, kinds=list(SubsidyKind.choices), cells=cells)
