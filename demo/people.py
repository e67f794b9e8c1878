"""The demo trainees: believable people from fixed seeds (names, valid ID numbers,
mobile numbers, household and residence counties, education, key groups).

They come from all 9 prefectures, drawn by population (more from 贵阳, 遵义 and 毕节);
an ID number's first six digits are the code the county had at the birth date
(demo.divisions: a 毕节 person born in 1985 carries 毕节地区's 5224xx).

``demo_people(n)`` yields the same people in the same order on every run; the first n
are the same for any larger count. demo.services inserts them.
"""

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from demo.divisions import id_region_code
from demo.fixtures import demo_rng
from trainees.models import Education
from training_platform.reference.models import KeyGroup, Region, RegionLevel
from training_platform.reference.services import KEY_GROUPS
from training_platform.validators import complete_id_number

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
# Prefectures weigh by population (millions, 2020 census, rounded), shared by their
# counties; the city districts below count that many times more.
PREFECTURE_WEIGHTS = {
    "5201": 6.0,
    "5202": 3.0,
    "5203": 6.6,
    "5204": 2.5,
    "5205": 6.9,
    "5206": 3.3,
    "5223": 3.0,
    "5226": 3.8,
    "5227": 3.5,
}
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


def _pools(counties=None) -> _Pools:
    """The draw's pools: Guizhou's counties, or the ``counties`` given."""
    rows = Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="52")
    if counties is not None:
        rows = rows.filter(code__in=counties)
    counties = tuple(rows.order_by("code").values_list("code", flat=True))
    by_prefecture: dict[str, list] = {}
    for code in counties:
        by_prefecture.setdefault(code[:4], []).append(code)

    def weight(code):
        share = PREFECTURE_WEIGHTS.get(code[:4], 3.0) / len(by_prefecture[code[:4]])
        return share * COUNTY_WEIGHTS.get(code, 1)

    active = set(KeyGroup.objects.filter(is_active=True).values_list("code", flat=True))
    return _Pools(
        counties=counties,
        county_cum_weights=tuple(
            itertools.accumulate(weight(code) for code in counties)
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
        first17 = (
            f"{id_region_code(county, birth)}{birth:%Y%m%d}{station:02d}{sex_digit}"
        )
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


def demo_people(
    count: int, *, counties=None, key: str = "trainees"
) -> Iterator[Person]:
    """The demo trainees in a fixed order: the first n are the same for any count >= n.

    ``counties`` and ``key`` draw another fixed set of people who live there (the
    plan-period history, demo.plan_history); the default is the demo's trainees."""
    rng = demo_rng(key)
    pools = _pools(counties)
    seen: set[str] = set()
    for index in range(count):
        yield _person(rng, pools, seen, is_first=counties is None and index == 0)
