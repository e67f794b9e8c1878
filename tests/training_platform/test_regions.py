"""户籍地 and other division texts: every form offices write, and clear refusals."""

import pytest

from training_platform.reference.models import Region, RegionLevel
from training_platform.reference.regions import (
    RegionUnresolved,
    region_resolve,
    region_resolver,
    region_resolver_reset,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # full names, codes, with prefecture and province in front
        ("南明区", "520102"),
        ("520102", "520102"),
        ("贵阳市", "520100"),
        ("贵阳市南明区", "520102"),
        ("贵州省贵阳市南明区", "520102"),
        ("贵州贵阳南明区", "520102"),
        ("威宁彝族回族苗族自治县", "520526"),
        ("黔东南苗族侗族自治州", "522600"),
        # short names
        ("黔东南州", "522600"),
        ("黔东南", "522600"),
        ("黔南州", "522700"),
        ("凯里", "522601"),
        ("黔东南州凯里市", "522601"),
        ("威宁县", "520526"),
        ("威宁", "520526"),
        ("威宁自治县", "520526"),
        ("六枝", "520203"),
        ("三都县", "522732"),
        ("遵义", "520300"),  # the prefecture, not a short form of a former county
        # former names of renamed counties, alone or under their prefecture
        ("遵义县", "520304"),
        ("遵义市遵义县", "520304"),
        ("盘县", "520281"),
        ("水城县", "520204"),
        ("黔西县", "520581"),
        ("毕节市黔西县", "520581"),
        ("毕节地区", "520500"),
        # former codes
        ("520221", "520204"),
        # what cells bring: full-width, spaces
        (" 凯 里 市 ", "522601"),
        ("５２０１０２", "520102"),
    ],
)
def test_every_form_offices_write_is_found(text, code):
    assert region_resolve(text).code == code


def test_an_empty_text_is_no_region():
    assert region_resolve("") is None and region_resolve(None) is None


@pytest.mark.parametrize("text", ["火星区", "贵州省", "520000", "999999", "南明市"])
def test_an_unknown_name_is_refused_in_chinese(text):
    with pytest.raises(RegionUnresolved) as excinfo:
        region_resolve(text)
    assert excinfo.value.code == "unknown"
    assert excinfo.value.messages[0].startswith(f"未找到户籍地“{text}”")


def test_a_county_under_the_wrong_prefecture_is_not_found():
    with pytest.raises(RegionUnresolved):
        region_resolve("遵义市南明区")


def test_an_id_number_in_the_cell_is_never_quoted():
    with pytest.raises(RegionUnresolved) as excinfo:
        region_resolve("11010519491231002X")
    assert "11010519491231002X" not in excinfo.value.messages[0]


def test_guizhou_has_no_short_name_shared_by_two_divisions():
    """Checked on the real table: every short form names one division."""
    resolver = region_resolver()
    for text in resolver._names:
        assert len(resolver._codes(text)) == 1, text


@pytest.fixture
def second_nanming():
    """A county short-named 南明 under 黔南 too (as 白云区 exists in 贵阳 and 广州)."""
    region = Region.objects.create(
        code="522799", name="南明县", level=RegionLevel.COUNTY, parent_id="522700"
    )
    yield region
    region_resolver_reset()  # the rollback sends no signal


def test_an_ambiguous_short_name_says_which_divisions_it_could_be(second_nanming):
    with pytest.raises(RegionUnresolved) as excinfo:
        region_resolve("南明")
    error = excinfo.value
    assert error.code == "ambiguous"
    assert [r.code for r in error.candidates] == ["520102", "522799"]
    assert error.messages[0] == (
        "户籍地“南明”对应多个地区：贵阳市南明区（520102）、"
        "黔南布依族苗族自治州南明县（522799）。请写明所属市（州），"
        "或填写6位行政区划代码。"
    )
    # Written in full, or under its prefecture, each is found.
    assert region_resolve("南明区").code == "520102"
    assert region_resolve("南明县").code == "522799"
    assert region_resolve("贵阳南明").code == "520102"
    assert region_resolve("黔南州南明").code == "522799"


def test_the_resolver_is_built_once_and_rebuilt_when_regions_change(
    django_assert_num_queries,
):
    region_resolver_reset()
    region_resolve("凯里")
    with django_assert_num_queries(0):
        assert region_resolve("威宁").code == "520526"
    region = Region.objects.get(code="522601")
    region.name = "凯里新市"
    region.save()
    try:
        assert region_resolve("凯里新市").code == "522601"
    finally:
        region_resolver_reset()
