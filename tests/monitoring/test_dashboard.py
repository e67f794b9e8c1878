"""统计监测 screens: who may see them and over which regions, the numbers in the
tables, charts and xlsx agree, reported figures stay apart, drill-down, and a constant
number of queries."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import ClassStatus, CourseKind
from monitoring import indicators
from monitoring.models import FigureStatus, Indicator
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    ReportedFigureFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    region,
    staff_user,
)
from training_platform.reference.models import CertificateKind, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

DASH = reverse("monitoring:dashboard")


def indicator_url(code="vocational_training"):
    return reverse("monitoring:indicator", args=[code])


def finished_class(
    code="520102", year=2022, kind=CourseKind.EMPLOYMENT, institution=None
):
    institution = institution or InstitutionFactory(region=region(code))
    return TrainingClassFactory(
        course=CourseFactory(institution=institution, kind=kind),
        region=region(code),
        start_date=dt.date(year, 3, 1),
        end_date=dt.date(year, 3, 21),
        status=ClassStatus.FINISHED,
    )


def trained(count, code="520102", year=2022, **kw):
    cls = finished_class(code, year, **kw)
    for _ in range(count):
        EnrolmentFactory(training_class=cls)
    return cls


@pytest.fixture
def province():
    return staff_user(Role.BUREAU, region_code="520000")


@pytest.fixture
def guiyang():
    return staff_user(Role.BUREAU, region_code="520100")


@pytest.fixture
def auditor():
    return staff_user(Role.AUDITOR, region_code="520000")


@pytest.fixture
def institution_staff():
    return staff_user(Role.INSTITUTION, institution=InstitutionFactory())


def cells(html, slug):
    """The table ``slug``'s rows as lists of cell texts."""
    table = re.search(
        rf'<table class="listing dash-table" data-table="{slug}">(.*?)</table>',
        html,
        re.S,
    ).group(1)
    body = table.split("<tbody>")[1]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        rows.append(
            [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
            ]
        )
    return rows


def chart_values(html, slug):
    figure = re.search(
        rf'<figure class="dash-chart" data-table="{slug}">(.*?)</figure>', html, re.S
    ).group(1)
    return [
        (label, Decimal(value))
        for label, value in re.findall(
            r'data-label="([^"]*)" data-value="([^"]*)"', figure
        )
    ]


def as_number(text):
    return Decimal(text.replace(",", ""))


# --- who -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["province", "guiyang", "auditor"])
def test_bureaus_and_auditors_see_the_dashboard_and_its_menu_item(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(DASH)
    assert response.status_code == 200
    assert "统计监测" in response.content.decode()
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert DASH in home


@pytest.mark.parametrize(
    "url",
    [
        DASH,
        indicator_url(),
        reverse("monitoring:export") + "?table=overview",
        reverse("monitoring:records") + "?query=training_person_times",
    ],
)
def test_other_roles_are_refused_and_get_no_menu_item(client, institution_staff, url):
    client.force_login(institution_staff)
    assert client.get(url).status_code == 403
    assert DASH not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_a_trainee_and_anonymous_are_refused(client):
    trainee_user = UserFactory()
    TraineeFactory(user=trainee_user) if hasattr(
        TraineeFactory._meta.model, "user"
    ) else None
    client.force_login(trainee_user)
    assert client.get(DASH).status_code in (302, 403, 404)
    client.logout()
    response = client.get(DASH)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_prefecture_bureau_sees_its_counties_not_the_province(client, guiyang):
    client.force_login(guiyang)
    html = client.get(DASH).content.decode()
    assert "统计范围：贵阳市" in html
    assert "南明区" in html and "遵义市" not in html
    for url in (
        DASH,
        indicator_url(),
        reverse("monitoring:records") + "?query=skill_talent",
    ):
        assert (
            client.get(url + ("&" if "?" in url else "?") + "region=52").status_code
            == 404
        )
        assert (
            client.get(url + ("&" if "?" in url else "?") + "region=5203").status_code
            == 404
        )
    assert client.get(DASH + "?region=520102").status_code == 200
    assert client.get(DASH + "?region=abc").status_code == 404


def test_the_province_sees_nine_prefectures(client, province):
    client.force_login(province)
    rows = cells(client.get(indicator_url()).content.decode(), "regions")
    assert len(rows) == 9
    assert rows[0][0] == "贵阳市"


# --- numbers ---------------------------------------------------------------------------


def test_overview_shows_actual_target_share_status_and_computed_time(client, province):
    trained(3, "520102", 2022)
    trained(2, "520302", 2023)
    trained(4, "520102", 2019)  # before the plan period
    client.force_login(province)
    html = client.get(DASH).content.decode()
    rows = {r[0]: r for r in cells(html, "overview")}
    vocational = rows["职业培训"]
    assert vocational[1] == "人次"
    assert vocational[2] == "5"
    assert vocational[3] == "4,000,000"
    assert vocational[4] == "0.0%"
    assert vocational[6] == "严重滞后"
    shown = re.search(r'id="computed-at">([^<]*)<', html).group(1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", shown), shown
    assert "计算时间" in html
    assert "达到进度目标 90% 及以上为进度正常" in html


def test_status_follows_the_indicators_thresholds(client, province):
    indicator = Indicator.objects.get(code="vocational_training")
    indicator.target = Decimal(10)
    indicator.save()
    indicator.targets.all().delete()
    trained(10, "520102", 2022)
    client.force_login(province)
    rows = {r[0]: r for r in cells(client.get(DASH).content.decode(), "overview")}
    assert rows["职业培训"][6] == "已完成"
    assert rows["职业培训"][4] == "100.0%"


def test_year_filter_and_yearly_target(client, province):
    trained(3, "520102", 2022)
    trained(2, "520102", 2023)
    client.force_login(province)
    html = client.get(DASH + "?year=2023").content.decode()
    rows = {r[0]: r for r in cells(html, "overview")}
    assert rows["职业培训"][2] == "2"
    assert rows["职业培训"][3] == "800,000"
    bad = client.get(DASH + "?year=abc")
    assert bad.status_code == 200 and "年度应为四位数字" in bad.content.decode()


def test_reported_figures_are_shown_apart_with_their_source_and_people(
    client, province
):
    indicator = Indicator.objects.get(code="technical_school_enrolment")
    enterer = staff_user(
        Role.BUREAU, region_code="520000", first_name="芳", last_name="刘"
    )
    approver = staff_user(
        Role.BUREAU, region_code="520000", first_name="伟", last_name="王"
    )
    ReportedFigureFactory(
        indicator=indicator,
        region=region("520000"),
        year=2023,
        value=Decimal("31234"),
        source="省教育厅统计年报",
        source_date=dt.date(2024, 3, 1),
        entered_by=enterer,
        status=FigureStatus.APPROVED,
        approved_by=approver,
        approved_at=dt.datetime(2024, 3, 2, tzinfo=dt.UTC),
    )
    ReportedFigureFactory(
        indicator=indicator,
        region=region("520000"),
        year=2024,
        value=Decimal("999"),
        entered_by=enterer,
    )  # a draft never shows
    client.force_login(province)
    html = client.get(DASH).content.decode()
    reported = cells(html, "reported")
    assert reported == [
        [
            "技工院校招生",
            "贵州省",
            "2023",
            "31,234",
            "人",
            "省教育厅统计年报",
            "2024-03-01",
            "刘芳",
            "王伟",
        ]
    ]
    computed_names = [r[0] for r in cells(html, "overview")]
    assert "技工院校招生" not in computed_names


# --- drill-down, charts, export, records -------------------------------------------


def test_drill_down_province_prefecture_county_institution(client, province):
    cls = trained(3, "520102", 2022)
    client.force_login(province)
    html = client.get(indicator_url()).content.decode()
    assert (
        'href="/admin/monitoring/indicators/vocational_training/?region=5201"' in html
    )
    html = client.get(indicator_url() + "?region=5201").content.decode()
    rows = {r[0]: r for r in cells(html, "regions")}
    assert rows["南明区"][1] == "3"
    assert "?region=520102" in html
    html = client.get(indicator_url() + "?region=520102").content.decode()
    institutions = cells(html, "institutions")
    assert institutions == [[cls.course.institution.name, "3"]]


def headers(html, slug):
    table = re.search(
        rf'<table class="listing dash-table" data-table="{slug}">(.*?)</thead>',
        html,
        re.S,
    ).group(1)
    return re.findall(r'<th scope="col">([^<]*)</th>', table)


def test_chart_table_and_xlsx_hold_the_same_numbers(client, province):
    trained(3, "520102", 2022)
    trained(12, "520302", 2023)
    trained(2, "520302", 2023, kind=CourseKind.ENTREPRENEURSHIP)
    client.force_login(province)
    html = client.get(indicator_url()).content.decode()
    for slug in ("years", "regions", "kinds"):
        table = cells(html, slug)
        assert chart_values(html, slug) == [(r[0], as_number(r[1])) for r in table]
        response = client.get(
            reverse("monitoring:export")
            + f"?indicator=vocational_training&table={slug}&region=52"
        )
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == headers(html, slug)
        for row, xrow in zip(table, values[1:], strict=True):
            assert str(xrow[0]) == row[0]
            assert Decimal(str(xrow[1])) == as_number(row[1])
    years = {r[0]: r[1] for r in cells(html, "years")}
    assert years["2022"] == "3" and years["2023"] == "14"
    kinds = {r[0]: r[1] for r in cells(html, "kinds")}
    assert kinds == {"就业技能培训": "15", "创业培训": "2"}
    # The yearly target line is drawn from the table's target column.
    assert 'data-value="3" data-target="800000"' in html


def test_overview_export_matches_the_table(client, province):
    trained(7, "520102", 2022)
    client.force_login(province)
    html = client.get(DASH).content.decode()
    table = cells(html, "overview")
    response = client.get(reverse("monitoring:export") + "?table=overview")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "指标",
        "单位",
        "实际完成",
        "目标",
        "完成目标比例",
        "进度目标",
        "状态",
    ]
    assert len(rows) - 1 == len(table)
    for row, xrow in zip(table, rows[1:], strict=True):
        assert xrow[0] == row[0] and xrow[6] == row[6]
        assert Decimal(str(xrow[2])) == as_number(row[2])
    assert client.get(reverse("monitoring:export") + "?table=nope").status_code == 404


def test_skill_talent_breakdown_by_level_and_records(client, guiyang):
    institution = InstitutionFactory(region=region("520102"))
    for level in (SkillLevel.LEVEL_4, SkillLevel.LEVEL_4, SkillLevel.LEVEL_3):
        CertificateFactory(
            kind=CertificateKind.SKILL_LEVEL,
            level=level,
            issuer=institution,
            issued_on=dt.date(2023, 5, 1),
        )
    CertificateFactory(
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        issuer=InstitutionFactory(region=region("520302")),
        issued_on=dt.date(2023, 5, 1),
    )  # 遵义: outside 贵阳
    client.force_login(guiyang)
    html = client.get(indicator_url("skill_talent")).content.decode()
    keys = {r[0]: r[1] for r in cells(html, "keys")}
    assert keys == {"三级/高级工": "1", "四级/中级工": "2"}
    url = reverse("monitoring:records") + "?query=skill_talent&region=5201&key=4"
    assert f'href="{url.replace("&", "&amp;")}"' in html
    records = client.get(url).content.decode()
    assert "共 2 张证书" in records
    assert (
        client.get(
            reverse("monitoring:records") + "?query=skill_talent&region=5203"
        ).status_code
        == 404
    )


def test_records_list_masks_names(client, province):
    cls = trained(1, "520102", 2022)
    name = cls.enrolments.first().trainee.name
    client.force_login(province)
    html = client.get(
        reverse("monitoring:records")
        + "?query=training_person_times&region=520102&year=2022"
    ).content.decode()
    assert "共 1 条培训记录" in html
    assert name not in html and name[0] + "*" in html


# --- queries ---------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        DASH,
        indicator_url() + "?region=52",
        indicator_url() + "?region=520102",
        indicator_url("skill_talent") + "?region=5201",
        reverse("monitoring:records") + "?query=training_person_times&region=52",
        reverse("monitoring:records") + "?query=skill_talent&region=52",
    ],
)
def test_query_count_does_not_grow_with_records(client, province, url):
    def add(n):
        for i in range(n):
            trained(2, ["520102", "520302", "520103"][i % 3], 2021 + i % 4)
            CertificateFactory(
                kind=CertificateKind.SKILL_LEVEL,
                level=SkillLevel.LEVEL_4,
                issuer=InstitutionFactory(region=region("520102")),
                issued_on=dt.date(2022, 1, 1),
            )

    client.force_login(province)
    add(1)
    few = _count(client, url)
    add(6)
    assert _count(client, url) == few


def test_registered_breakdowns_group_hand_made_records():
    a = InstitutionFactory(region=region("520102"))
    trained(2, "520102", 2022, institution=a)
    trained(1, "520102", 2022, institution=a, kind=CourseKind.ENTREPRENEURSHIP)
    b = InstitutionFactory(region=region("520103"))
    trained(4, "520103", 2023, institution=b)
    rows = indicators.REGISTRY["training_by_institution"](
        regions="5201", by="prefecture"
    )
    totals = {}
    for r in rows:
        totals[r.key] = totals.get(r.key, 0) + r.value
    assert totals == {str(a.pk): 3, str(b.pk): 4}
    kinds = indicators.REGISTRY["training_by_course_kind"](by="province")
    assert {(r.year, r.key): r.value for r in kinds} == {
        (2022, "employment"): 2,
        (2022, "entrepreneurship"): 1,
        (2023, "employment"): 4,
    }
    entre = indicators.REGISTRY["entrepreneurship_by_institution"](by="province")
    assert [(r.key, r.value) for r in entre] == [(str(a.pk), 1)]


def test_the_demo_data_gives_the_dashboard_figures(client):
    from django.contrib.auth import get_user_model

    from demo.services import demo_seed

    demo_seed()
    province_bureau = get_user_model().objects.get(username="bureau_gz")
    client.force_login(province_bureau)
    html = client.get(DASH).content.decode()
    actuals = [as_number(r[2]) for r in cells(html, "overview")]
    assert any(a > 0 for a in actuals), cells(html, "overview")
    client.force_login(get_user_model().objects.get(username="bureau_gy"))
    html = client.get(DASH).content.decode()
    assert "统计范围：贵阳市" in html
