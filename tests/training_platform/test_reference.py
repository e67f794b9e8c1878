import pytest
from django.core.management import call_command

from training_platform.reference.models import (
    KeyGroup,
    Occupation,
    OccupationCategory,
    Region,
    RegionLevel,
    SkillLevel,
    is_high_skill,
)
from training_platform.reference.services import reference_data_load

pytestmark = pytest.mark.django_db


def test_guizhou_divisions_roll_up_county_prefecture_province():
    assert Region.objects.filter(level=RegionLevel.PROVINCE).get().code == "520000"
    prefectures = Region.objects.filter(level=RegionLevel.PREFECTURE)
    assert prefectures.count() == 9
    assert Region.objects.filter(level=RegionLevel.COUNTY).count() == 88
    assert all(p.parent_id == "520000" for p in prefectures)
    qingzhen = Region.objects.get(code="520181")
    assert qingzhen.name == "清镇市"
    assert qingzhen.parent.name == "贵阳市"
    assert qingzhen.parent.parent.name == "贵州省"
    assert Region.objects.get(code="520581").name == "黔西市"
    # Every county's prefix sits inside its prefecture's prefix.
    for county in Region.objects.filter(level=RegionLevel.COUNTY).select_related(
        "parent"
    ):
        assert county.code.startswith(county.parent.prefix)
    assert Region.objects.get(code="520000").prefix == "52"
    assert Region.objects.get(code="522600").prefix == "5226"


def test_all_occupations_of_2022_are_loaded_with_their_groups():
    assert Occupation.objects.count() == 1639
    assert OccupationCategory.objects.filter(level="major").count() == 8
    assert OccupationCategory.objects.filter(level="middle").count() == 79
    electrician = Occupation.objects.select_related("minor", "middle").get(
        code="6-31-01-03"
    )
    assert electrician.name == "电工"
    assert electrician.middle.code == "6-31"
    rider = Occupation.objects.get(code="4-10-08-01")
    assert rider.name == "网约配送员"
    assert Occupation.objects.get(code="4-01-06-02").is_digital
    # Category names come without the stray spaces of the source PDF.
    assert not OccupationCategory.objects.filter(name__contains=" ").exists()


def test_reference_load_is_idempotent():
    before = (
        Region.objects.count(),
        Occupation.objects.count(),
        KeyGroup.objects.count(),
    )
    call_command("load_reference", stdout=open("/dev/null", "w"))  # noqa: SIM115
    summary = reference_data_load()
    assert (summary.regions, summary.occupations, summary.key_groups) == before
    assert summary.key_groups == 10


def test_skill_levels_and_high_skill():
    assert [level.label for level in SkillLevel][:5] == [
        "五级/初级工",
        "四级/中级工",
        "三级/高级工",
        "二级/技师",
        "一级/高级技师",
    ]
    assert not is_high_skill(SkillLevel.LEVEL_4)
    assert is_high_skill(SkillLevel.LEVEL_3)
    assert is_high_skill(SkillLevel.CHIEF)
