"""The plan's public-training-base targets counted from the registry (专栏 7 · 02):
5 prefecture bases 完善提升, 4 new prefecture bases, 45 new county bases, 2021–2025."""

import pytest

from bases.models import ApprovalLevel, BaseKind, BuildType, RegistryStatus
from bases.selectors import base_target_counts
from tests.factories import InstitutionFactory, TrainingBaseFactory, region

pytestmark = pytest.mark.django_db

PREF, COUNTY = ApprovalLevel.PREFECTURE, ApprovalLevel.COUNTY
NEW, UPGRADE = BuildType.NEW, BuildType.UPGRADE


def base(code, level, build_type, year, **fields):
    host = InstitutionFactory(region=region(code))
    return TrainingBaseFactory(
        host=host,
        region=host.region,
        level=level,
        build_type=build_type,
        build_year=year,
        **fields,
    )


@pytest.fixture
def registry():
    # counted
    base("520102", PREF, UPGRADE, 2021)  # 贵阳, first year of the period
    base("520502", PREF, UPGRADE, 2025)  # 毕节, last year
    base("520201", PREF, NEW, 2023)  # 六盘水
    base("520302", COUNTY, NEW, 2022)  # 遵义 红花岗区
    base("520328", COUNTY, NEW, 2024)  # 遵义 湄潭县
    base("520524", COUNTY, NEW, 2022)  # 毕节 织金县
    # not counted
    base("520402", PREF, UPGRADE, 2020)  # before the period
    base("520402", PREF, UPGRADE, 2026)  # after it
    base("520602", PREF, NEW, 2024, status=RegistryStatus.REVOKED)
    base("520602", PREF, NEW, 2024, kind=BaseKind.HIGH_SKILL)  # not a public base
    base("522601", COUNTY, UPGRADE, 2023)  # a county upgrade is not a plan target
    base("522301", ApprovalLevel.PROVINCIAL, NEW, 2023)  # provincial level
    TrainingBaseFactory(host=InstitutionFactory(region=region("522701")))  # no build


def summary(counts):
    return {key: (row["target"], row["counted"]) for key, row in counts.items()}


def test_province_counts_and_targets(registry, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = base_target_counts()
    assert summary(counts) == {
        "prefecture_upgraded": (5, 2),
        "prefecture_new": (4, 1),
        "county_new": (45, 3),
    }
    assert counts["county_new"]["remaining"] == 42
    assert counts["prefecture_upgraded"]["label"] == "市（州）级公共实训基地完善提升"
    named = {r["name"]: r["counted"] for r in counts["prefecture_upgraded"]["named"]}
    assert named == {"贵阳": 1, "毕节": 1, "安顺": 0, "黔东南": 0, "黔南": 0}
    assert {r["name"] for r in counts["prefecture_new"]["named"]} == {
        "遵义",
        "六盘水",
        "铜仁",
        "黔西南",
    }


def test_period_edges_are_both_included(registry):
    assert summary(base_target_counts(2022, 2024)) == {
        "prefecture_upgraded": (5, 0),
        "prefecture_new": (4, 1),
        "county_new": (45, 3),
    }
    assert base_target_counts(2026, 2030)["prefecture_upgraded"]["counted"] == 1
    assert base_target_counts(2020, 2020)["prefecture_upgraded"]["counted"] == 1


def test_region_scope(registry):
    zunyi = base_target_counts(region=region("520300"))
    assert summary(zunyi) == {
        "prefecture_upgraded": (0, 0),  # the plan names no upgrade in 遵义
        "prefecture_new": (1, 0),  # 遵义 is to build one
        "county_new": (None, 2),  # the 45 are not split by prefecture
    }
    bijie = base_target_counts(region="520500")
    assert summary(bijie)["prefecture_upgraded"] == (1, 1)
    assert summary(bijie)["county_new"] == (None, 1)
    assert base_target_counts(region="520328")["county_new"]["counted"] == 1
    assert base_target_counts(region="5203")["county_new"]["counted"] == 2


def test_revoking_a_base_takes_it_out_of_the_count(registry):
    from bases.models import TrainingBase

    TrainingBase.objects.filter(region_id="520201").update(
        status=RegistryStatus.REVOKED
    )
    assert base_target_counts()["prefecture_new"]["counted"] == 0
