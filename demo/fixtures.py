"""The demo's fixed data (SPEC §6): users and their published password, institutions,
training bases and skill master studios, as plain records.

Nothing here touches the database; demo.services seeds these records, demo.people
draws the trainees. ``demo_rng`` gives each part of the data set its own fixed seed.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from bases.models import ApprovalLevel, BaseKind, InstitutionKind
from training_platform.reference.models import SkillLevel
from training_platform.validators import complete_credit_code, org_code_check_char

# Demo data only: the published password of every demo user (SPEC §6).
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105
DEMO_BASE_URL = "http://127.0.0.1:8000"
DEMO_USERNAMES = (
    "admin",
    "editor",
    "bureau_gz",
    "bureau_gy",
    "inst_a",
    "inst_b",
    "evaluator",
    "auditor",
    "trainee",
)
SEED = 2026_0520

GUIYANG = "520100"
ZUNYI = "520300"


def demo_rng(*key) -> random.Random:
    """A generator for one part of the data set, independent of the other parts."""
    seed = ":".join(str(part) for part in (SEED, *key))
    return random.Random(seed)  # noqa: S311  (demo data, not secrets)


# --- staff users ----------------------------------------------------------------------


# username → (姓, 名); the trainee user takes the name of its trainee record.
STAFF_NAMES = {
    "admin": ("罗", "建华"),
    "editor": ("杨", "雪"),
    "bureau_gz": ("王", "志强"),
    "bureau_gy": ("陈", "静"),
    "inst_a": ("刘", "芳"),
    "inst_b": ("赵", "磊"),
    "evaluator": ("吴", "敏"),
    "auditor": ("周", "平"),
}


# --- institutions ---------------------------------------------------------------------

L1, L2, L3, L4, L5 = (
    SkillLevel.LEVEL_1,
    SkillLevel.LEVEL_2,
    SkillLevel.LEVEL_3,
    SkillLevel.LEVEL_4,
    SkillLevel.LEVEL_5,
)
ELECTRICIAN = "6-31-01-03"
WELDER = "6-18-02-04"
CHINESE_COOK = "4-03-02-01"
TEA_ART = "4-03-02-07"
ELDER_CARE = "4-10-01-05"
HOUSEKEEPING = "4-10-01-06"
E_COMMERCE = "4-01-06-01"
LIVE_MARKETING = "4-01-06-02"
DELIVERY_RIDER = "4-10-08-01"
EMBROIDERY = "6-09-03-11"
GUESTHOUSE = "4-14-06-02"
CAR_REPAIR = "4-12-01-01"


@dataclass(frozen=True)
class DemoInstitution:
    key: str
    name: str
    kind: str
    county: str
    # First two characters of the credit code: registration authority and entity type
    # (52 民政/民办非企业单位, 91 市场监管/企业, 12 编制部门/事业单位).
    authority: str
    address: str
    contact_name: str
    contact_phone: str
    approved_at: dt.date
    # (occupation code, highest level, may train, may evaluate)
    filings: tuple = ()


INSTITUTIONS = (
    DemoInstitution(
        key="inst_a",
        name="贵阳黔匠职业技能培训学校",
        kind=InstitutionKind.PRIVATE_SCHOOL,
        county="520102",
        authority="52",
        address="贵阳市南明区花果园大街 18 号",
        contact_name="刘芳",
        contact_phone="0851-85561234",
        approved_at=dt.date(2019, 6, 12),
        filings=(
            (ELECTRICIAN, L3, True, False),
            (WELDER, L4, True, False),
            (CHINESE_COOK, L3, True, False),
            (ELDER_CARE, L4, True, False),
            (E_COMMERCE, L4, True, False),
            (LIVE_MARKETING, L4, True, False),
            (DELIVERY_RIDER, L5, True, False),
        ),
    ),
    DemoInstitution(
        key="inst_b",
        name="遵义市红花岗区红城职业技能培训学校",
        kind=InstitutionKind.PRIVATE_SCHOOL,
        county="520302",
        authority="52",
        address="遵义市红花岗区中华南路 66 号",
        contact_name="赵磊",
        contact_phone="0851-28223456",
        approved_at=dt.date(2020, 3, 20),
        filings=(
            (CHINESE_COOK, L4, True, False),
            (TEA_ART, L4, True, False),
            (ELDER_CARE, L4, True, False),
            (HOUSEKEEPING, L4, True, False),
            (GUESTHOUSE, L4, True, False),
        ),
    ),
    DemoInstitution(
        key="evaluator",
        name="贵州筑匠职业技能评价中心有限公司",
        kind=InstitutionKind.EVALUATION_ORG,
        county="520115",
        authority="91",
        address="贵阳市观山湖区林城西路 95 号",
        contact_name="吴敏",
        contact_phone="0851-84876543",
        approved_at=dt.date(2021, 9, 1),
        filings=(
            (ELECTRICIAN, L2, False, True),
            (WELDER, L3, False, True),
            (CHINESE_COOK, L3, False, True),
            (TEA_ART, L3, False, True),
            (ELDER_CARE, L3, False, True),
            (HOUSEKEEPING, L3, False, True),
            (E_COMMERCE, L3, False, True),
            (LIVE_MARKETING, L3, False, True),
            (CAR_REPAIR, L2, False, True),
        ),
    ),
    DemoInstitution(
        key="qianbei_tech",
        name="遵义市黔北技工学校",
        kind=InstitutionKind.TECHNICAL_SCHOOL,
        county="520303",
        authority="52",
        address="遵义市汇川区大连路 200 号",
        contact_name="冯建国",
        contact_phone="0851-27612345",
        approved_at=dt.date(2018, 5, 8),
        filings=(
            (ELECTRICIAN, L2, True, True),
            (WELDER, L2, True, True),
            (CAR_REPAIR, L3, True, True),
            (DELIVERY_RIDER, L5, True, False),
        ),
    ),
    DemoInstitution(
        key="housekeeping",
        name="贵州黔家嫂家政服务有限公司",
        kind=InstitutionKind.ENTERPRISE,
        county="520103",
        authority="91",
        address="贵阳市云岩区延安中路 12 号",
        contact_name="潘秀兰",
        contact_phone="0851-86654321",
        approved_at=dt.date(2022, 4, 15),
        filings=(
            (HOUSEKEEPING, L4, True, False),
            (ELDER_CARE, L4, True, False),
        ),
    ),
    DemoInstitution(
        key="base_operator",
        name="贵阳市公共实训基地服务中心",
        kind=InstitutionKind.BASE_OPERATOR,
        county="520181",
        authority="12",
        address="清镇市职教城东区职教路 1 号",
        contact_name="石永红",
        contact_phone="0851-82512000",
        approved_at=dt.date(2019, 1, 10),
        filings=(
            (ELECTRICIAN, L3, True, False),
            (WELDER, L3, True, False),
            (CAR_REPAIR, L3, True, False),
            (E_COMMERCE, L4, True, False),
            (DELIVERY_RIDER, L5, True, False),
        ),
    ),
    DemoInstitution(
        key="embroidery",
        name="贵州黔绣坊文化发展有限公司",
        kind=InstitutionKind.ENTERPRISE,
        county="520111",
        authority="91",
        address="贵阳市花溪区青岩镇南街 8 号",
        contact_name="龙玉梅",
        contact_phone="0851-83201888",
        approved_at=dt.date(2020, 11, 3),
        filings=((EMBROIDERY, L3, True, False),),
    ),
    DemoInstitution(
        key="tea",
        name="湄潭县茶乡职业技能培训学校",
        kind=InstitutionKind.PRIVATE_SCHOOL,
        county="520328",
        authority="52",
        address="湄潭县湄江街道茶城大道 30 号",
        contact_name="田春燕",
        contact_phone="0851-24221666",
        approved_at=dt.date(2021, 4, 26),
        filings=(
            (TEA_ART, L3, True, False),
            (GUESTHOUSE, L4, True, False),
        ),
    ),
)


def demo_credit_code(institution: DemoInstitution) -> str:
    """A valid GB 32100 code, the same on every run (derived from the name)."""
    rng = demo_rng("credit", institution.name)
    body = "".join(rng.choice("0123456789") for _ in range(8))
    org_code = body + org_code_check_char(body)
    return complete_credit_code(
        f"{institution.authority}{institution.county}{org_code}"
    )


# --- bases and studios -----------------------------------------------------------------


@dataclass(frozen=True)
class DemoBase:
    name: str
    kind: str
    level: str
    host: str  # DemoInstitution.key
    stations: int
    occupations: tuple
    approval_year: int
    approval_doc_no: str
    funding: Decimal
    description: str


BASES = (
    DemoBase(
        name="贵阳市公共实训基地",
        kind=BaseKind.PUBLIC_TRAINING,
        level=ApprovalLevel.PREFECTURE,
        host="base_operator",
        stations=1200,
        occupations=(ELECTRICIAN, WELDER, CAR_REPAIR, E_COMMERCE, DELIVERY_RIDER),
        approval_year=2019,
        approval_doc_no="筑人社发〔2019〕21号",
        funding=Decimal("32000000.00"),
        description="位于清镇职教城，建有电工、焊接、汽车维修、电子商务等实训区，"
        "面向全市院校、企业和社会人员开放共享。",
    ),
    DemoBase(
        name="贵州省高技能人才培训基地（遵义市黔北技工学校）",
        kind=BaseKind.HIGH_SKILL,
        level=ApprovalLevel.PROVINCIAL,
        host="qianbei_tech",
        stations=480,
        occupations=(ELECTRICIAN, WELDER, CAR_REPAIR),
        approval_year=2021,
        approval_doc_no="黔人社厅发〔2021〕15号",
        funding=Decimal("5000000.00"),
        description="承担遵义市电工、焊工、汽车维修工技师和高级技师培养。",
    ),
    DemoBase(
        name="贵州省世界技能大赛焊接项目集训基地",
        kind=BaseKind.COMPETITION,
        level=ApprovalLevel.PROVINCIAL,
        host="base_operator",
        stations=40,
        occupations=(WELDER,),
        approval_year=2022,
        approval_doc_no="黔人社函〔2022〕88号",
        funding=Decimal("2000000.00"),
        description="承担世界技能大赛焊接项目省级选拔和集训。",
    ),
    DemoBase(
        name="红花岗区公共实训基地",
        kind=BaseKind.PUBLIC_TRAINING,
        level=ApprovalLevel.COUNTY,
        host="inst_b",
        stations=200,
        occupations=(CHINESE_COOK, ELDER_CARE, HOUSEKEEPING),
        approval_year=2023,
        approval_doc_no="红人社发〔2023〕7号",
        funding=Decimal("1500000.00"),
        description="面向易地扶贫搬迁安置点劳动力开展餐饮、养老、家政实训。",
    ),
)


@dataclass(frozen=True)
class DemoStudio:
    name: str
    level: str
    host: str
    occupation: str
    master_name: str
    master_level: str
    master_honours: str
    approval_year: int
    approval_doc_no: str
    funding: Decimal
    apprentices_mentored: int
    results: str


STUDIOS = (
    DemoStudio(
        name="龙玉梅黔绣技能大师工作室",
        level=ApprovalLevel.PROVINCIAL,
        host="embroidery",
        occupation=EMBROIDERY,
        master_name="龙玉梅",
        master_level=L1,
        master_honours="贵州省技术能手、省级非物质文化遗产代表性传承人（苗绣）",
        approval_year=2020,
        approval_doc_no="黔人社厅函〔2020〕102号",
        funding=Decimal("300000.00"),
        apprentices_mentored=126,
        results="整理黔绣传统针法 28 种，编写《黔绣基础针法》培训教材；"
        "带动 300 余名易地搬迁妇女居家就业。",
    ),
    DemoStudio(
        name="罗建国电工技能大师工作室",
        level=ApprovalLevel.NATIONAL,
        host="qianbei_tech",
        occupation=ELECTRICIAN,
        master_name="罗建国",
        master_level=L1,
        master_honours="全国技术能手、贵州省劳动模范",
        approval_year=2018,
        approval_doc_no="人社厅函〔2018〕176号",
        funding=Decimal("500000.00"),
        apprentices_mentored=85,
        results="完成配电柜智能化改造等技术攻关 12 项，获实用新型专利 5 项。",
    ),
    DemoStudio(
        name="田春燕茶艺技能大师工作室",
        level=ApprovalLevel.PREFECTURE,
        host="tea",
        occupation=TEA_ART,
        master_name="田春燕",
        master_level=L2,
        master_honours="贵州省技术能手",
        approval_year=2022,
        approval_doc_no="遵人社发〔2022〕33号",
        funding=Decimal("100000.00"),
        apprentices_mentored=60,
        results="开发湄潭翠芽冲泡技法课程，培养茶艺师 200 余名。",
    ),
    DemoStudio(
        name="黄德明黔菜烹饪技能大师工作室",
        level=ApprovalLevel.PROVINCIAL,
        host="inst_a",
        occupation=CHINESE_COOK,
        master_name="黄德明",
        master_level=L2,
        master_honours="全国技术能手、贵州省技术能手",
        approval_year=2023,
        approval_doc_no="黔人社厅函〔2023〕61号",
        funding=Decimal("200000.00"),
        apprentices_mentored=48,
        results="整理黔菜标准菜谱 60 道，研发酸汤系列菜品 12 个。",
    ),
)
