"""Demo data for `make run` and reviewers (SPEC §6): users, institutions, bases, trainees.

Everything comes from fixed seeds, so every run builds the same people and ID numbers,
and every row is looked up by its natural key first, so a second run creates nothing.
Trainees go in with set-based inserts, a few queries per batch of 2,000, never per row.

`make run` seeds at every start, over whatever users did through the screens: a step
the data no longer allows (a suspended institution, a deleted user) is skipped with a
note (demo.skips), never an error, and nothing a user changed is put back.
"""

import datetime as dt
import itertools
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from bases.models import (
    ApprovalLevel,
    BaseKind,
    InstitutionKind,
    InstitutionOccupation,
    QualificationStatus,
    SkillMasterStudio,
    StaffMembership,
    TrainingBase,
    TrainingInstitution,
)
from bases.services import membership_grant
from certificates.models import Certificate
from courses.models import Course, Enrolment, TrainingClass
from demo.certificates import demo_certificates, seed_certificates
from demo.courses import demo_classes, seed_courses
from demo.skips import SeedNotes
from trainees.models import (
    Education,
    KeyGroupMembership,
    Trainee,
    id_number_fields,
    id_number_hash,
)
from training_platform.reference.models import (
    KeyGroup,
    Region,
    RegionLevel,
    SkillLevel,
)
from training_platform.reference.services import KEY_GROUPS, reference_data_load
from training_platform.roles import (
    ROLE_PERMISSIONS,
    STAFF_ROLES,
    Role,
    group_name,
    sync_role_groups,
)
from training_platform.validators import (
    complete_credit_code,
    complete_id_number,
    org_code_check_char,
    parse_id_number,
)

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
TRAINEES_PER_SCALE = 240
BATCH_SIZE = 2000

GUIYANG = "520100"
ZUNYI = "520300"


def _rng(*key) -> random.Random:
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
    rng = _rng("credit", institution.name)
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


# --- trainees --------------------------------------------------------------------------

# Guizhou's common surnames first: earlier characters are drawn more often.
SURNAMES = (
    "王杨李张刘陈吴罗龙田石黄周赵徐胡何潘韦杜蒙冉袁谢唐邓曾彭宋蒋郑"
    "孙马朱郭高林梁许韩冯曹肖董余叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金廖贾夏付方白邹孟熊秦邱江尹薛段雷侯史陶黎贺顾毛郝龚邵万严覃班"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊峰林宏建国文志永海成东亮兴松江云德福荣贵祥顺"
GIVEN_FEMALE = "芳娟敏静丽艳霞燕玲红梅琴兰萍雪婷慧英颖倩雯欣悦琳洁秀桂凤琼丹莉蓉春月"
GIVEN_YOUNG = "子梓轩涵怡辰睿佳嘉思雨晨"
# Mobile number segments of the three carriers (the digits after the leading 1).
MOBILE_SEGMENTS = (30, 31, 32, 33, 35, 36, 37, 38, 39, 50, 51, 52, 53, 55, 56, 57, 58)
MOBILE_SEGMENTS += (59, 66, 73, 75, 76, 77, 78, 80, 81, 82, 83, 85, 86, 87, 88, 89, 98)
# Counties weigh by population, roughly; the rest weigh 1.
COUNTY_WEIGHTS = {
    "520102": 5,
    "520103": 5,
    "520111": 3,
    "520113": 2,
    "520115": 3,
    "520181": 2,
    "520302": 4,
    "520303": 3,
    "520304": 3,
    "520382": 2,
}
URBAN_GUIYANG = ("520102", "520103", "520111", "520112", "520113", "520115")
URBAN_ZUNYI = ("520302", "520303", "520304")
BIRTH_FIRST = dt.date(1965, 1, 1)
BIRTH_LAST = dt.date(2006, 12, 31)
SINCE_FIRST = dt.date(2019, 1, 1)
SINCE_LAST = dt.date(2025, 12, 31)
# (weight, evidence) per key group. Only people who fit a group draw it (_eligible), so
# graduates and school leavers weigh heavily: among the young they are the usual group.
KEY_GROUP_WEIGHTS = {
    "rural_migrant": (30, "乡镇（街道）人社服务中心认定"),
    "poverty_alleviated": (20, "防返贫监测信息系统比对"),
    "returning_migrant": (15, "返乡入乡人员登记"),
    "relocated": (12, "易地扶贫搬迁安置点台账"),
    "graduate": (40, "学信网毕业证书核验"),
    "unemployed": (10, "失业登记"),
    "school_leaver": (40, "教育部门未升学学生名单"),
    "hard_to_employ": (6, "就业困难人员认定"),
    "veteran": (4, "退役军人事务局证明"),
    "disabled": (3, "残疾人证"),
}
EDUCATIONS = tuple(Education)
HIGHER_EDUCATION = (Education.COLLEGE, Education.BACHELOR, Education.POSTGRADUATE)


@dataclass
class Person:
    name: str
    id_number: str
    phone: str
    household: str
    residence: str
    education: str
    key_groups: list  # [(group code, since, evidence)]


@dataclass(frozen=True)
class _Pools:
    counties: tuple
    county_cum_weights: tuple
    by_prefecture: dict
    key_groups: tuple


def _pools() -> _Pools:
    counties = tuple(
        Region.objects.filter(level=RegionLevel.COUNTY, parent_id__in=[GUIYANG, ZUNYI])
        .order_by("code")
        .values_list("code", flat=True)
    )
    by_prefecture: dict[str, list] = {}
    for code in counties:
        by_prefecture.setdefault(code[:4], []).append(code)
    active = set(KeyGroup.objects.filter(is_active=True).values_list("code", flat=True))
    return _Pools(
        counties=counties,
        county_cum_weights=tuple(
            itertools.accumulate(COUNTY_WEIGHTS.get(code, 1) for code in counties)
        ),
        by_prefecture={k: tuple(v) for k, v in by_prefecture.items()},
        # In the order of the reference list, so the draw does not depend on the table.
        key_groups=tuple(
            code
            for code, _name in KEY_GROUPS
            if code in active and code in KEY_GROUP_WEIGHTS
        ),
    )


def _person(rng: random.Random, pools: _Pools, seen: set, *, is_first: bool) -> Person:
    """One believable person; ``seen`` keeps ID numbers unique within the run."""
    # The first person becomes the `trainee` demo user: lives in 贵阳, in a key group.
    if is_first:
        county = rng.choice(URBAN_GUIYANG)
    else:
        county = rng.choices(pools.counties, cum_weights=pools.county_cum_weights)[0]
    male = rng.random() < 0.52
    birth = BIRTH_FIRST + dt.timedelta(
        days=rng.randrange((BIRTH_LAST - BIRTH_FIRST).days + 1)
    )
    while True:
        # Digits 15-16 number the registering police station; 17 is odd for men.
        station = rng.randrange(1, 100)
        sex_digit = rng.randrange(5) * 2 + (1 if male else 0)
        first17 = f"{county}{birth:%Y%m%d}{station:02d}{sex_digit}"
        if first17 not in seen:
            seen.add(first17)
            break

    surname = SURNAMES[min(int(rng.expovariate(1 / 14)), len(SURNAMES) - 1)]
    chars = GIVEN_MALE if male else GIVEN_FEMALE
    if birth.year >= 1995:
        chars += GIVEN_YOUNG
    given = "".join(rng.choice(chars) for _ in range(1 if rng.random() < 0.3 else 2))

    if is_first or rng.random() < 0.88:
        household = county
    else:
        household = rng.choice(pools.by_prefecture[county[:4]])
    roll = rng.random()
    if is_first or roll < 0.55:
        residence = household
    elif roll < 0.85:
        residence = rng.choice(URBAN_GUIYANG)
    elif roll < 0.95:
        residence = rng.choice(URBAN_ZUNYI)
    else:
        residence = rng.choice(pools.counties)

    education = _education(rng, birth)
    return Person(
        name=surname + given,
        id_number=complete_id_number(first17),
        phone=f"1{rng.choice(MOBILE_SEGMENTS)}{rng.randrange(10**8):08d}",
        household=household,
        residence=residence,
        education=education,
        key_groups=_key_groups(
            rng, pools, birth=birth, male=male, education=education, force=is_first
        ),
    )


def _education(rng: random.Random, birth: dt.date) -> str:
    if birth.year <= 1975:
        weights = (30, 45, 20, 4, 1, 0)
    elif birth.year <= 1989:
        weights = (10, 40, 30, 12, 8, 0)
    else:
        weights = (2, 20, 30, 25, 20, 3)
    return rng.choices(EDUCATIONS, weights)[0]


def _fixed_since(code: str, *, birth: dt.date, education: str) -> dt.date | None:
    """Groups one enters on a known date (graduation); None for the others."""
    if code == "graduate":
        return dt.date(birth.year + 22, 7, 1)
    if code == "school_leaver":
        age = 15 if education == Education.JUNIOR else 18
        return dt.date(birth.year + age, 7, 1)
    return None


def _eligible(code: str, *, birth: dt.date, male: bool, education: str) -> bool:
    if code == "graduate" and education not in HIGHER_EDUCATION:
        return False
    if code == "school_leaver" and education not in (
        Education.JUNIOR,
        Education.SENIOR,
    ):
        return False
    if code == "veteran" and (not male or birth.year < 1975):
        return False
    since = _fixed_since(code, birth=birth, education=education)
    return since is None or SINCE_FIRST <= since <= SINCE_LAST


def _key_groups(
    rng: random.Random,
    pools: _Pools,
    *,
    birth: dt.date,
    male: bool,
    education: str,
    force: bool,
) -> list:
    """About 40% of people are in one or two key groups, entered 2019-2025."""
    if rng.random() >= 0.40 and not force:
        return []
    wanted = 2 if rng.random() < 0.25 else 1
    codes = [
        code
        for code in pools.key_groups
        if _eligible(code, birth=birth, male=male, education=education)
    ]
    earliest = max(SINCE_FIRST, dt.date(birth.year + 16, birth.month, 1))
    chosen = []
    while codes and len(chosen) < wanted:
        code = rng.choices(codes, [KEY_GROUP_WEIGHTS[c][0] for c in codes])[0]
        codes.remove(code)
        since = _fixed_since(code, birth=birth, education=education)
        if since is None:
            since = earliest + dt.timedelta(
                days=rng.randrange((SINCE_LAST - earliest).days + 1)
            )
        chosen.append((code, since, KEY_GROUP_WEIGHTS[code][1]))
    return chosen


def demo_people(count: int) -> Iterator[Person]:
    """The demo trainees in a fixed order: the first n are the same for any count >= n."""
    rng = _rng("trainees")
    pools = _pools()
    seen: set[str] = set()
    for index in range(count):
        yield _person(rng, pools, seen, is_first=index == 0)


# --- seeding ---------------------------------------------------------------------------


def _counts() -> dict:
    user_model = get_user_model()
    return {
        "users": user_model.objects.count(),
        "staff_memberships": StaffMembership.objects.count(),
        "institutions": TrainingInstitution.objects.count(),
        "institution_occupations": InstitutionOccupation.objects.count(),
        "training_bases": TrainingBase.objects.count(),
        "studios": SkillMasterStudio.objects.count(),
        "trainees": Trainee.objects.count(),
        "key_group_memberships": KeyGroupMembership.objects.count(),
        "courses": Course.objects.count(),
        "classes": TrainingClass.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "certificates": Certificate.objects.count(),
    }


def _ensure_reference_data() -> None:
    if not Region.objects.exists():
        reference_data_load()
    names = [group_name(role) for role in ROLE_PERMISSIONS]
    if Group.objects.filter(name__in=names).count() < len(names):
        sync_role_groups()


def _seed_institutions(notes: SeedNotes) -> dict:
    """The demo institutions by key: found by credit code (or, if a user changed the
    code, by name), created if missing; a key is absent if it cannot be created."""
    codes = {demo.key: demo_credit_code(demo) for demo in INSTITUTIONS}
    existing = {
        inst.credit_code: inst
        for inst in TrainingInstitution.objects.filter(credit_code__in=codes.values())
    }
    by_name = {}
    for inst in TrainingInstitution.objects.filter(
        name__in=[demo.name for demo in INSTITUTIONS]
    ).order_by("-pk"):
        by_name[inst.name] = inst  # the oldest of a name wins
    institutions = {}
    filings = []
    for number, demo in enumerate(INSTITUTIONS, start=1):
        inst = existing.get(codes[demo.key]) or by_name.get(demo.name)
        if inst is None:
            inst = TrainingInstitution(
                name=demo.name,
                credit_code=codes[demo.key],
                kind=demo.kind,
                region_id=demo.county,
                address=demo.address,
                contact_name=demo.contact_name,
                contact_phone=demo.contact_phone,
                status=QualificationStatus.APPROVED,
                approved_at=demo.approved_at,
            )
            with notes.attempt(f"培训机构“{demo.name}”"):
                inst.full_clean()
                inst.save()
            if inst.pk is None:
                continue
        institutions[demo.key] = inst
        year = demo.approved_at.year
        filings += [
            InstitutionOccupation(
                institution=inst,
                occupation_id=code,
                max_level=level,
                can_train=can_train,
                can_evaluate=can_evaluate,
                filing_no=f"黔人社职备〔{year}〕{number:02d}{line:02d}号",
            )
            for line, (code, level, can_train, can_evaluate) in enumerate(
                demo.filings, start=1
            )
        ]
    InstitutionOccupation.objects.bulk_create(filings, ignore_conflicts=True)
    return institutions


def _seed_bases(institutions: dict, notes: SeedNotes) -> None:
    existing = set(
        TrainingBase.objects.filter(name__in=[b.name for b in BASES]).values_list(
            "name", flat=True
        )
    )
    for demo in BASES:
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


def _seed_studios(institutions: dict, notes: SeedNotes) -> None:
    existing = set(
        SkillMasterStudio.objects.filter(
            name__in=[s.name for s in STUDIOS]
        ).values_list("name", flat=True)
    )
    for demo in STUDIOS:
        if demo.name in existing:
            continue
        host = institutions.get(demo.host)
        if host is None:
            notes.skip(f"技能大师工作室“{demo.name}”", "依托机构不存在")
            continue
        studio = SkillMasterStudio(
            name=demo.name,
            level=demo.level,
            host=host,
            region_id=host.region_id,
            occupation_id=demo.occupation,
            master_name=demo.master_name,
            master_level=demo.master_level,
            master_honours=demo.master_honours,
            approval_year=demo.approval_year,
            approval_doc_no=demo.approval_doc_no,
            funding=demo.funding,
            apprentices_mentored=demo.apprentices_mentored,
            results=demo.results,
        )
        with notes.attempt(f"技能大师工作室“{demo.name}”"):
            studio.full_clean()
            studio.save()


def _user(username: str, password: str, *, last_name="", first_name="", **flags):
    """The demo user of this name, created if missing (``user.created`` says which)."""
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "password": password,
            "last_name": last_name,
            "first_name": first_name,
            **flags,
        },
    )
    user.created = created
    return user


def _seed_staff(institutions: dict, password: str, notes: SeedNotes) -> None:
    """The demo staff and their roles. A role is granted once, to a user the seed
    created or who never had it: a role a user took away (or a membership switched
    off) through the screens stays as they left it."""

    def staff(username, **flags):
        last_name, first_name = STAFF_NAMES[username]
        return _user(
            username, password, last_name=last_name, first_name=first_name, **flags
        )

    def grant(user, role, *, institution=None, region=None):
        if StaffMembership.objects.filter(
            user=user, role=role, institution=institution, region=region
        ).exists():
            return
        with notes.attempt(f"{user.username} 的{Role(role).label}身份"):
            membership_grant(
                user=user, role=role, institution=institution, region=region
            )

    staff("admin", is_superuser=True, is_staff=True)
    editor = staff("editor")
    if editor.created:
        editor.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    province = Region.objects.get(level=RegionLevel.PROVINCE)
    guiyang = Region.objects.get(code=GUIYANG)
    grant(staff("bureau_gz"), Role.BUREAU, region=province)
    grant(staff("bureau_gy"), Role.BUREAU, region=guiyang)
    grant(staff("auditor"), Role.AUDITOR, region=province)
    for username, role in (
        ("inst_a", Role.INSTITUTION),
        ("inst_b", Role.INSTITUTION),
        ("evaluator", Role.EVALUATOR),
    ):
        user = staff(username)
        institution = institutions.get(username)
        if institution is None:
            notes.skip(f"{username} 的{Role(role).label}身份", "所属机构不存在")
            continue
        grant(user, role, institution=institution)


def _seed_trainees(count: int, stdout=None) -> Person:
    """Insert ``count`` demo trainees with their key groups; return the first person."""
    people = demo_people(count)
    first = None
    done = 0
    while done < count:
        batch = [next(people) for _ in range(min(BATCH_SIZE, count - done))]
        first = first or batch[0]
        hashes = [id_number_hash(person.id_number) for person in batch]
        ids = dict(
            Trainee.objects.filter(id_number_hash__in=hashes).values_list(
                "id_number_hash", "pk"
            )
        )
        # People from an earlier run are skipped before paying for encryption; the
        # unique blind index (ignore_conflicts) covers anyone added meanwhile.
        new = [
            person
            for person, hashed in zip(batch, hashes, strict=True)
            if hashed not in ids
        ]
        if new:
            Trainee.objects.bulk_create(
                [
                    Trainee(
                        name=person.name,
                        phone=person.phone,
                        household_region_id=person.household,
                        residence_region_id=person.residence,
                        education=person.education,
                        **id_number_fields(parse_id_number(person.id_number)),
                    )
                    for person in new
                ],
                batch_size=BATCH_SIZE,
                ignore_conflicts=True,
            )
            new_hashes = {id_number_hash(person.id_number) for person in new}
            created = dict(
                Trainee.objects.filter(id_number_hash__in=new_hashes).values_list(
                    "id_number_hash", "pk"
                )
            )
            KeyGroupMembership.objects.bulk_create(
                [
                    KeyGroupMembership(
                        trainee_id=created[id_number_hash(person.id_number)],
                        group_id=code,
                        since=since,
                        evidence=evidence,
                    )
                    for person in new
                    if id_number_hash(person.id_number) in created
                    for code, since, evidence in person.key_groups
                ],
                batch_size=BATCH_SIZE,
                ignore_conflicts=True,
            )
        done += len(batch)
        if stdout is not None and count > BATCH_SIZE:
            stdout.write(f"trainees {done}/{count}")
    return first


def _seed_trainee_user(first: Person, password: str, notes: SeedNotes) -> None:
    user = _user(
        "trainee", password, last_name=first.name[:1], first_name=first.name[1:]
    )
    if not Trainee.objects.filter(user=user).exists():
        linked = Trainee.objects.filter(
            id_number_hash=id_number_hash(first.id_number),
            user__isnull=True,
        ).update(user=user, updated_at=timezone.now())
        if not linked:
            notes.skip("为 trainee 账号关联学员档案", "该档案已关联其他账号")


@transaction.atomic
def demo_seed(*, scale: int = 1, stdout=None) -> dict:
    """Create the demo data set (SPEC §6) with 240 × ``scale`` trainees; repeat-safe.

    Only what is missing is created; steps the data no longer allows are skipped, each
    with a note written to ``stdout`` and listed under ``skipped`` in the summary.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    notes = SeedNotes(stdout)
    _ensure_reference_data()
    before = _counts()
    existing = set(
        get_user_model()
        .objects.filter(username__in=DEMO_USERNAMES)
        .values_list("username", flat=True)
    )
    # One hash for every new demo user: PBKDF2 costs a good fraction of a second per
    # call, and these accounts share a published password anyway.
    password = make_password(DEMO_PASSWORD) if set(DEMO_USERNAMES) - existing else ""
    institutions = _seed_institutions(notes)
    _seed_staff(institutions, password, notes)
    _seed_bases(institutions, notes)
    _seed_studios(institutions, notes)
    first = _seed_trainees(TRAINEES_PER_SCALE * scale, stdout)
    _seed_trainee_user(first, password, notes)
    seed_courses(institutions, notes)
    seed_certificates(notes)
    after = _counts()
    return {
        "scale": scale,
        **after,
        "created": {name: after[name] - before[name] for name in after},
        "skipped": notes.items,
    }


# --- what the demo contains ------------------------------------------------------------


def _roles_and_scope(user) -> tuple[list, str | None]:
    roles = set()
    scopes = []
    if user.is_superuser:
        roles.add(Role.ADMIN)
    if any(group.name == group_name(Role.EDITOR) for group in user.groups.all()):
        roles.add(Role.EDITOR)
    for membership in user.memberships.all():
        roles.add(membership.role)
        scope = str(membership.institution or membership.region)
        if scope not in scopes:
            scopes.append(scope)
    if getattr(user, "trainee", None) is not None:
        roles.add(Role.TRAINEE)
    return [role.value for role in Role if role in roles], "、".join(scopes) or None


def demo_info() -> dict:
    """The demo users with their roles and scopes, as they are in the database."""
    users = (
        get_user_model()
        .objects.filter(username__in=DEMO_USERNAMES)
        .select_related("trainee")
        .prefetch_related(
            "groups",
            Prefetch(
                "memberships",
                queryset=StaffMembership.objects.filter(is_active=True)
                .select_related("institution", "region")
                .order_by("pk"),
            ),
        )
    )
    by_name = {user.username: user for user in users}
    admin_url = reverse("wagtailadmin_home")
    entries = []
    for username in DEMO_USERNAMES:
        user = by_name.get(username)
        if user is None:
            continue
        roles, scope = _roles_and_scope(user)
        staff = user.is_superuser or any(role in STAFF_ROLES for role in roles)
        entries.append(
            {
                "username": username,
                "roles": roles,
                "scope": scope,
                "login_url": admin_url if staff else settings.LOGIN_URL,
            }
        )
    return {
        "password": DEMO_PASSWORD,
        "users": entries,
        "classes": demo_classes(),
        "certificates": demo_certificates(),
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def demo_logins_text(info: dict, base_url: str = DEMO_BASE_URL) -> str:
    """A short table of where and how to sign in, for the terminal after `make run`."""
    admin_url = reverse("wagtailadmin_home")
    lines = [
        "黔技通 演示环境 / demo",
        f"  网站 Site        {base_url}/",
        f"  后台 Admin       {base_url}{admin_url}",
        f"  学员 Sign-in     {base_url}{settings.LOGIN_URL}",
        f"  密码 Password    {info['password']}  （所有演示账号，仅限演示 / every demo user, demo only）",
        "",
    ]
    rows = [("用户名 user", "角色 role", "范围 scope")]
    for user in info["users"]:
        labels = "、".join(Role(role).label for role in user["roles"]) or "—"
        rows.append((user["username"], labels, user["scope"] or "—"))
    widths = [max(_width(row[col]) for row in rows) + 2 for col in range(2)]
    for username, labels, scope in rows:
        lines.append(
            f"  {_pad(username, widths[0])}{_pad(labels, widths[1])}{scope}".rstrip()
        )
    return "\n".join(lines)
