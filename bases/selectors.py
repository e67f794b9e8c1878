"""Reading the bases registry: the public directory (``/bases/``), detail pages and the
plan's base targets counted from the rows.

Public selectors return only what the registry publishes (names of masters, members and
apprentices as the honour registries print them; never ID numbers or phone numbers) and
leave out revoked bases and studios.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from bases.honours import earned_honours_of
from bases.models import (
    ApprovalLevel,
    BaseKind,
    BuildType,
    LevelChange,
    RegistryStatus,
    SkillMasterStudio,
    TrainingBase,
)
from training_platform.reference.models import Region, prefix_for

# --- the public directory ---------------------------------------------------------------


def base_list_public():
    """Bases for the directory: region with its prefecture (``region.parent``), host and
    occupations loaded, whatever the number of rows (three queries with the prefetch)."""
    return (
        TrainingBase.objects.exclude(status=RegistryStatus.REVOKED)
        .select_related("region__parent", "host")
        .prefetch_related("occupations")
        .order_by("region_id", "name", "pk")
    )


def studio_list_public():
    """Studios for the directory: region with its prefecture, host, occupation and the
    master's occupation loaded (one query)."""
    return (
        SkillMasterStudio.objects.exclude(status=RegistryStatus.REVOKED)
        .select_related("region__parent", "host", "occupation", "master_occupation")
        .order_by("region_id", "name", "pk")
    )


def _level_changes():
    return Prefetch(
        "level_changes",
        queryset=LevelChange.objects.order_by("-changed_on", "-pk"),
    )


def _base_detail(queryset):
    return queryset.select_related("region__parent", "host").prefetch_related(
        "occupations", "funding_rows", _level_changes()
    )


def _attach_base_facts(base):
    base.funding_received = sum((row.amount for row in base.funding_rows.all()), 0)
    return base


def base_for_page(pk):
    """One base with everything its detail page shows (occupations, funding rows, level
    history); ``funding_received`` is the sum of the rows. Raises Http404 when the base
    does not exist or is revoked."""
    return _attach_base_facts(
        get_object_or_404(_base_detail(base_list_public()), pk=pk)
    )


def base_with_facts(base):
    """The back-office twin of :func:`base_for_page` (revoked bases included)."""
    return _attach_base_facts(_base_detail(TrainingBase.objects).get(pk=base.pk))


@dataclass(frozen=True)
class ShownHonour:
    """An honour as the detail page shows it, with where it comes from."""

    name: str
    year: int | None
    document_no: str
    declared: (
        bool  # True: typed on the studio's application; False: earned on the platform
    )
    source: str = ""  # the competition (platform honours)

    @property
    def origin(self) -> str:
        return "申报" if self.declared else "平台认定"


@dataclass
class ApprenticeYear:
    year: int
    apprentices: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.apprentices)


def _attach_studio_facts(studio) -> None:
    earned = (
        earned_honours_of([studio.master_trainee_id]).get(studio.master_trainee_id, [])
        if studio.master_trainee_id
        else []
    )
    honours = [
        ShownHonour(h.display_name, h.year, h.document_no, declared=True)
        for h in studio.honours.all()
    ] + [
        ShownHonour(h.name, h.year, h.document_no, declared=False, source=h.source)
        for h in earned
    ]
    studio.all_honours = sorted(
        honours, key=lambda h: (h.year is None, h.year or 0, not h.declared)
    )
    studio.earned_honours = earned
    by_year = defaultdict(list)
    for row in studio.apprentices.all():
        by_year[row.year].append(row)
    studio.apprentice_years = [
        ApprenticeYear(year, rows)
        for year, rows in sorted(by_year.items(), reverse=True)
    ]
    studio.apprentice_total = sum(y.count for y in studio.apprentice_years)
    studio.funding_received = sum((row.amount for row in studio.funding_rows.all()), 0)


def _studio_detail(queryset):
    return queryset.select_related(
        "region__parent", "host", "occupation", "master_occupation"
    ).prefetch_related(
        "honours",
        "members",
        "apprentices",
        "achievements",
        "evaluations",
        "funding_rows",
        _level_changes(),
    )


def studio_for_page(pk):
    """One studio with everything its detail page shows: declared and earned honours
    (``all_honours``, each marked 申报 / 平台认定), members, apprentices per year
    (``apprentice_years``, ``apprentice_total``), achievements, evaluations, funding rows
    (``funding_received``) and level history. Raises Http404 when missing or revoked."""
    studio = get_object_or_404(_studio_detail(studio_list_public()), pk=pk)
    _attach_studio_facts(studio)
    return studio


def studio_with_facts(studio):
    """The back-office twin of :func:`studio_for_page` (revoked studios included)."""
    studio = _studio_detail(SkillMasterStudio.objects).get(pk=studio.pk)
    _attach_studio_facts(studio)
    return studio


# --- the plan's base targets -----------------------------------------------------------

#: 《贵州省"十四五"……规划》专栏 7 劳动力素质提升工程 · 02 职业技能提升行动:
#: "推进贵阳、毕节、安顺、黔东南、黔南 5 个市（州）级公共实训基地完善提升、规范运行，
#: 在遵义、六盘水、铜仁、黔西南新建 4 个市（州）级公共实训基地，新建 45 个县级公共实训基地。"
PLAN_UPGRADE_PREFECTURES = {
    "5201": "贵阳",
    "5205": "毕节",
    "5204": "安顺",
    "5226": "黔东南",
    "5227": "黔南",
}
PLAN_NEW_PREFECTURES = {
    "5203": "遵义",
    "5202": "六盘水",
    "5206": "铜仁",
    "5223": "黔西南",
}

TARGETS = [
    (
        "prefecture_upgraded",
        "市（州）级公共实训基地完善提升",
        5,
        ApprovalLevel.PREFECTURE,
        BuildType.UPGRADE,
        PLAN_UPGRADE_PREFECTURES,
    ),
    (
        "prefecture_new",
        "新建市（州）级公共实训基地",
        4,
        ApprovalLevel.PREFECTURE,
        BuildType.NEW,
        PLAN_NEW_PREFECTURES,
    ),
    (
        "county_new",
        "新建县级公共实训基地",
        45,
        ApprovalLevel.COUNTY,
        BuildType.NEW,
        None,
    ),
]


def _region_prefix(region) -> str | None:
    if region is None:
        return None
    if isinstance(region, Region):
        return region.prefix
    code = str(region)
    if len(code) < 6:  # already a prefix
        return code
    level = (
        "province"
        if code.endswith("0000")
        else "prefecture"
        if code.endswith("00")
        else "county"
    )
    return prefix_for(code, level)


def base_target_counts(period_start=2021, period_end=2025, region=None) -> dict:
    """The plan's public-training-base targets and what the registry counts for them.

    The plan (《贵州省"十四五"……规划》专栏 7 · 02 职业技能提升行动) says: "推进贵阳、毕节、
    安顺、黔东南、黔南 5 个市（州）级公共实训基地完善提升、规范运行，在遵义、六盘水、铜仁、
    黔西南新建 4 个市（州）级公共实训基地，新建 45 个县级公共实训基地。"

    Counted: 公共实训基地 (kind) of the level (市（州）级 / 县级) whose build type is
    提质升级（完善提升） or 新建 with a build year within ``period_start``–``period_end``
    (both included), not revoked. ``region`` (a Region, a code or a code prefix) limits
    the count to that region and below; the target is then the plan's share for it
    where the plan names the prefectures (1 or 0), and None for the 45 county bases the
    plan does not split.

    Returns ``{key: {"label", "target", "counted", "remaining",
    "named": [{"code", "name", "counted"}]}}``
    for the keys ``prefecture_upgraded``, ``prefecture_new``, ``county_new``; one query.
    """
    prefix = _region_prefix(region)
    rows = TrainingBase.objects.filter(
        kind=BaseKind.PUBLIC_TRAINING,
        build_year__gte=period_start,
        build_year__lte=period_end,
    ).exclude(status=RegistryStatus.REVOKED)
    if prefix:
        rows = rows.filter(region__code__startswith=prefix)
    counted = defaultdict(int)
    grouped = (
        rows.filter(
            Q(level=ApprovalLevel.PREFECTURE) | Q(level=ApprovalLevel.COUNTY),
            build_type__in=[BuildType.NEW, BuildType.UPGRADE],
        )
        .values("level", "build_type", "region__code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in grouped:
        key = (row["level"], row["build_type"], row["region__code"][:4])
        counted[key] += row["n"]
    result = {}
    for key, label, target, level, build_type, named in TARGETS:
        total = sum(
            n for (lv, bt, _), n in counted.items() if lv == level and bt == build_type
        )
        named_rows = []
        scoped_target = target
        if named is not None:
            in_scope = {
                code: name
                for code, name in named.items()
                if not prefix or code.startswith(prefix) or prefix.startswith(code)
            }
            if prefix and len(prefix) > 2:
                scoped_target = len(in_scope)
            named_rows = [
                {
                    "code": code,
                    "name": name,
                    "counted": counted.get((level, build_type, code), 0),
                }
                for code, name in in_scope.items()
            ]
        elif prefix and len(prefix) > 2:
            scoped_target = None
        result[key] = {
            "label": label,
            "target": scoped_target,
            "counted": total,
            "remaining": None
            if scoped_target is None
            else max(scoped_target - total, 0),
            "named": named_rows,
        }
    return result
