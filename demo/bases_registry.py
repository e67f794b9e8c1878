"""Demo registry facts for bases and studios (issue 12): build types that the plan's
targets count, funding rows, level histories, and the studios' honours, team,
apprentices by year, achievements and evaluations. Repeat-safe: only what is missing is
added; names are people's names as the public honour registries print them."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bases.models import (
    AchievementKind,
    ApprovalLevel,
    BaseKind,
    BuildType,
    EvaluationResult,
    Funding,
    FundingSource,
    HonourKind,
    LevelChange,
    SkillMasterStudio,
    StudioAchievement,
    StudioApprentice,
    StudioEvaluation,
    StudioHonour,
    StudioMember,
    TrainingBase,
)
from demo.fixtures import (
    CAR_REPAIR,
    CHINESE_COOK,
    E_COMMERCE,
    ELECTRICIAN,
    EMBROIDERY,
    HOUSEKEEPING,
    L1,
    L2,
    L3,
    L4,
    LIVE_MARKETING,
    TEA_ART,
    WELDER,
)
from demo.skips import SeedNotes

C, P, LOC, SELF = (
    FundingSource.CENTRAL,
    FundingSource.PROVINCIAL,
    FundingSource.LOCAL,
    FundingSource.SELF,
)


@dataclass(frozen=True)
class NewBase:
    """A base the foundation's demo does not have (in its host's region)."""

    name: str
    kind: str
    level: str
    host: str
    stations: int
    occupations: tuple
    approval_year: int
    approval_doc_no: str
    funding: Decimal
    description: str


NEW_BASES = (
    NewBase(
        "遵义市公共实训基地",
        BaseKind.PUBLIC_TRAINING,
        ApprovalLevel.PREFECTURE,
        "qianbei_tech",
        500,
        (ELECTRICIAN, WELDER, CAR_REPAIR),
        2023,
        "遵人社发〔2023〕11号",
        Decimal("25000000.00"),
        "新建市级公共实训基地，服务装备制造和汽车维修产业。",
    ),
    NewBase(
        "湄潭县公共实训基地",
        BaseKind.PUBLIC_TRAINING,
        ApprovalLevel.COUNTY,
        "tea",
        150,
        (TEA_ART, E_COMMERCE),
        2022,
        "湄人社发〔2022〕8号",
        Decimal("3000000.00"),
        "新建县级公共实训基地，开展茶艺、茶叶加工和电商实训。",
    ),
    NewBase(
        "清镇市公共实训基地",
        BaseKind.PUBLIC_TRAINING,
        ApprovalLevel.COUNTY,
        "base_operator",
        180,
        (CHINESE_COOK, HOUSEKEEPING, LIVE_MARKETING),
        2024,
        "清人社发〔2024〕5号",
        Decimal("2800000.00"),
        "新建县级公共实训基地，面向易地扶贫搬迁劳动力开展就业技能培训。",
    ),
    NewBase(
        "花溪区农民教育培训基地",
        BaseKind.FARMER,
        ApprovalLevel.COUNTY,
        "embroidery",
        120,
        (EMBROIDERY, E_COMMERCE),
        2022,
        "花农发〔2022〕14号",
        Decimal("1200000.00"),
        "面向高素质农民和返乡创业人员，开展苗绣、农村电商培训。",
    ),
)


@dataclass(frozen=True)
class BaseFacts:
    build_type: str = ""
    build_year: int | None = None
    funding: tuple = ()  # (year, source, amount, document no.)
    levels: tuple = ()  # (from, to, date, document no.), oldest first


BASE_FACTS = {
    "贵阳市公共实训基地": BaseFacts(
        BuildType.UPGRADE,
        2022,
        funding=(
            (2022, P, Decimal("8000000.00"), "黔财社〔2022〕31号"),
            (2023, LOC, Decimal("6000000.00"), "筑财社〔2023〕12号"),
        ),
    ),
    "遵义市公共实训基地": BaseFacts(
        BuildType.NEW,
        2023,
        funding=(
            (2023, C, Decimal("10000000.00"), "财社〔2023〕78号"),
            (2024, LOC, Decimal("5000000.00"), "遵财社〔2024〕3号"),
        ),
    ),
    "红花岗区公共实训基地": BaseFacts(
        BuildType.NEW,
        2023,
        funding=((2023, LOC, Decimal("1500000.00"), "红财社〔2023〕6号"),),
    ),
    "湄潭县公共实训基地": BaseFacts(
        BuildType.NEW,
        2022,
        funding=((2022, LOC, Decimal("3000000.00"), "湄财社〔2022〕4号"),),
    ),
    "清镇市公共实训基地": BaseFacts(
        BuildType.NEW,
        2024,
        funding=((2024, P, Decimal("2000000.00"), "黔财社〔2024〕27号"),),
    ),
    "贵州省高技能人才培训基地（遵义市黔北技工学校）": BaseFacts(
        funding=((2021, P, Decimal("2000000.00"), "黔财社〔2021〕56号"),),
        levels=(
            (
                "",
                ApprovalLevel.PREFECTURE,
                dt.date(2019, 6, 10),
                "遵人社发〔2019〕40号",
            ),
            (
                ApprovalLevel.PREFECTURE,
                ApprovalLevel.PROVINCIAL,
                dt.date(2021, 9, 28),
                "黔人社厅发〔2021〕15号",
            ),
        ),
    ),
    "贵州省世界技能大赛焊接项目集训基地": BaseFacts(
        funding=((2022, P, Decimal("2000000.00"), "黔人社函〔2022〕88号"),),
    ),
    "花溪区农民教育培训基地": BaseFacts(
        funding=((2022, LOC, Decimal("1200000.00"), "花财农〔2022〕7号"),),
    ),
}


@dataclass(frozen=True)
class StudioFacts:
    build: tuple = ()  # (start, end)
    master_occupation: str = ""
    honours: tuple = ()  # (kind, name, year, document no.)
    members: tuple = ()  # (name, role, level)
    apprentices: tuple = ()  # (year, name, level reached)
    achievements: tuple = ()  # (kind, title, year, reference)
    evaluations: tuple = ()  # (year, result, note)
    funding: tuple = ()  # (year, source, amount, document no.)
    levels: tuple = ()  # (from, to, date, document no.)


BR, PAT, STD = (
    AchievementKind.BREAKTHROUGH,
    AchievementKind.PATENT,
    AchievementKind.STANDARD,
)
EX, OK = EvaluationResult.EXCELLENT, EvaluationResult.PASS

STUDIO_FACTS = {
    "龙玉梅黔绣技能大师工作室": StudioFacts(
        build=(dt.date(2020, 9, 1), dt.date(2022, 8, 31)),
        master_occupation=EMBROIDERY,
        honours=(
            (HonourKind.PROVINCIAL_EXPERT, "", 2017, "黔人社发〔2017〕88号"),
            (
                HonourKind.INTANGIBLE_HERITAGE,
                "省级非物质文化遗产代表性传承人（苗绣）",
                2015,
                "",
            ),
        ),
        members=(("杨秀英", "针法传承", L2), ("吴春花", "图样设计", L3)),
        apprentices=(
            (2023, "潘金花", L3),
            (2023, "张月仙", L4),
            (2024, "王美玉", L3),
            (2024, "杨小芬", L4),
            (2024, "龙春梅", L4),
        ),
        achievements=(
            (BR, "黔绣传统针法整理（28 种）", 2021, ""),
            (STD, "《黔绣基础针法》培训教材", 2022, "书号 978-7-000-00000-0"),
        ),
        evaluations=((2022, EX, "期满验收优秀"), (2024, OK, "")),
        funding=((2020, P, Decimal("300000.00"), "黔人社厅函〔2020〕102号"),),
    ),
    "罗建国电工技能大师工作室": StudioFacts(
        build=(dt.date(2018, 12, 1), dt.date(2020, 11, 30)),
        master_occupation=ELECTRICIAN,
        honours=(
            (HonourKind.NATIONAL_EXPERT, "", 2014, "人社部发〔2014〕92号"),
            (HonourKind.OTHER, "贵州省劳动模范", 2016, ""),
        ),
        members=(
            ("陈志强", "技术攻关", L1),
            ("刘海波", "实训教学", L2),
            ("赵丽", "课程开发", L2),
        ),
        apprentices=(
            (2022, "周宏", L2),
            (2023, "何军", L2),
            (2023, "谢文斌", L3),
            (2024, "冉光明", L1),
        ),
        achievements=(
            (BR, "配电柜智能化改造", 2019, ""),
            (PAT, "一种低压配电柜温度监测装置", 2020, "ZL 2020 2 0000000.0"),
        ),
        evaluations=((2020, EX, "国家级工作室期满评估优秀"),),
        funding=(
            (2016, P, Decimal("200000.00"), "黔人社厅函〔2016〕66号"),
            (2018, C, Decimal("100000.00"), "人社厅函〔2018〕176号"),
        ),
        levels=(
            (
                "",
                ApprovalLevel.PROVINCIAL,
                dt.date(2016, 5, 20),
                "黔人社厅函〔2016〕66号",
            ),
            (
                ApprovalLevel.PROVINCIAL,
                ApprovalLevel.NATIONAL,
                dt.date(2018, 11, 15),
                "人社厅函〔2018〕176号",
            ),
        ),
    ),
    "田春燕茶艺技能大师工作室": StudioFacts(
        build=(dt.date(2022, 7, 1), dt.date(2024, 6, 30)),
        master_occupation=TEA_ART,
        honours=((HonourKind.PROVINCIAL_EXPERT, "", 2019, "黔人社发〔2019〕60号"),),
        members=(("冯雪", "茶艺教学", L3),),
        apprentices=((2023, "宋佳", L3), (2024, "罗敏", L3), (2024, "韦静", L4)),
        achievements=((BR, "湄潭翠芽冲泡技法课程", 2023, ""),),
        evaluations=((2024, OK, ""),),
        funding=((2022, LOC, Decimal("100000.00"), "遵人社发〔2022〕33号"),),
    ),
    "黄德明黔菜烹饪技能大师工作室": StudioFacts(
        build=(dt.date(2023, 8, 1), dt.date(2025, 7, 31)),
        master_occupation=CHINESE_COOK,
        honours=(
            (HonourKind.NATIONAL_EXPERT, "", 2021, "人社部发〔2021〕70号"),
            (HonourKind.PROVINCIAL_EXPERT, "", 2018, "黔人社发〔2018〕51号"),
        ),
        members=(("蒙永红", "黔菜研发", L2), ("石磊", "刀工教学", L3)),
        apprentices=((2024, "杨涛", L3), (2024, "吴江", L3), (2025, "罗林", L4)),
        achievements=(
            (STD, "黔菜标准菜谱（60 道）", 2024, "DB52/T 0000—2024"),
            (BR, "酸汤系列菜品研发（12 个）", 2024, ""),
        ),
        funding=((2023, P, Decimal("200000.00"), "黔人社厅函〔2023〕61号"),),
    ),
}


def _seed_new_bases(institutions: dict, notes: SeedNotes) -> None:
    existing = set(
        TrainingBase.objects.filter(name__in=[b.name for b in NEW_BASES]).values_list(
            "name", flat=True
        )
    )
    for demo in NEW_BASES:
        if demo.name in existing:
            continue
        host = institutions.get(demo.host)
        if host is None:
            notes.skip(f"实训基地“{demo.name}”", "依托机构不存在")
            continue
        base = TrainingBase(
            name=demo.name,
            kind=demo.kind,
            level=demo.level,
            host=host,
            region_id=host.region_id,
            stations=demo.stations,
            approval_year=demo.approval_year,
            approval_doc_no=demo.approval_doc_no,
            funding=demo.funding,
            description=demo.description,
        )
        with notes.attempt(f"实训基地“{demo.name}”"):
            base.full_clean()
            base.save()
            base.occupations.set(demo.occupations)


def _funding_rows(owner_field: str, owner, rows) -> list:
    return [
        Funding(
            **{owner_field: owner},
            year=year,
            source=source,
            amount=amount,
            document_no=doc,
        )
        for year, source, amount, doc in rows
    ]


def _level_rows(owner_field: str, owner, rows) -> list:
    return [
        LevelChange(
            **{owner_field: owner},
            from_level=before,
            to_level=after,
            changed_on=on,
            document_no=doc,
        )
        for before, after, on, doc in rows
    ]


def _seed_base_facts(notes: SeedNotes) -> None:
    bases = TrainingBase.objects.filter(name__in=list(BASE_FACTS)).prefetch_related(
        "funding_rows", "level_changes"
    )
    funding, levels = [], []
    for base in bases:
        facts = BASE_FACTS[base.name]
        if facts.build_type and not base.build_type:
            base.build_type, base.build_year = facts.build_type, facts.build_year
            with notes.attempt(f"实训基地“{base.name}”建设类型"):
                base.full_clean()
                base.save(update_fields=["build_type", "build_year"])
        if not base.funding_rows.all():
            funding += _funding_rows("base", base, facts.funding)
        if facts.levels and not base.level_changes.all():
            levels += _level_rows("base", base, facts.levels)
    Funding.objects.bulk_create(funding)
    LevelChange.objects.bulk_create(levels)


def _seed_studio_facts(notes: SeedNotes) -> None:
    studios = SkillMasterStudio.objects.filter(
        name__in=list(STUDIO_FACTS)
    ).prefetch_related(
        "honours",
        "members",
        "apprentices",
        "achievements",
        "evaluations",
        "funding_rows",
        "level_changes",
    )
    rows: dict[type, list] = {
        StudioHonour: [],
        StudioMember: [],
        StudioApprentice: [],
        StudioAchievement: [],
        StudioEvaluation: [],
        Funding: [],
        LevelChange: [],
    }
    for studio in studios:
        facts = STUDIO_FACTS[studio.name]
        if facts.build and studio.build_start is None:
            studio.build_start, studio.build_end = facts.build
            studio.master_occupation_id = facts.master_occupation or None
            with notes.attempt(f"技能大师工作室“{studio.name}”建设期"):
                studio.full_clean()
                studio.save(
                    update_fields=["build_start", "build_end", "master_occupation"]
                )
        if not studio.honours.all():
            rows[StudioHonour] += [
                StudioHonour(studio=studio, kind=k, name=n, year=y, document_no=d)
                for k, n, y, d in facts.honours
            ]
        if not studio.members.all():
            rows[StudioMember] += [
                StudioMember(studio=studio, name=n, role=r, level=lv)
                for n, r, lv in facts.members
            ]
        if not studio.apprentices.all():
            rows[StudioApprentice] += [
                StudioApprentice(studio=studio, year=y, name=n, level_reached=lv)
                for y, n, lv in facts.apprentices
            ]
        if not studio.achievements.all():
            rows[StudioAchievement] += [
                StudioAchievement(studio=studio, kind=k, title=t, year=y, reference=r)
                for k, t, y, r in facts.achievements
            ]
        if not studio.evaluations.all():
            rows[StudioEvaluation] += [
                StudioEvaluation(studio=studio, year=y, result=r, note=n)
                for y, r, n in facts.evaluations
            ]
        if not studio.funding_rows.all():
            rows[Funding] += _funding_rows("studio", studio, facts.funding)
        if facts.levels and not studio.level_changes.all():
            rows[LevelChange] += _level_rows("studio", studio, facts.levels)
    for model, objs in rows.items():
        model.objects.bulk_create(objs)


def seed_bases_registry(institutions: dict, notes: SeedNotes) -> None:
    """Registry facts for the demo bases and studios (repeat-safe)."""
    _seed_new_bases(institutions, notes)
    _seed_base_facts(notes)
    _seed_studio_facts(notes)
