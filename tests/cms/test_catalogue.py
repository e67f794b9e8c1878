"""The public course catalogue at /courses/ and the course pages under it (SPEC 2.3, 6)."""

import datetime as dt
import importlib
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from cms.models import CourseIndexPage, CoursePage, HomePage
from courses.models import ClassStatus, CourseKind, TrainingClass
from tests.factories import (
    CourseFactory,
    InstitutionFactory,
    TrainingClassFactory,
    UserFactory,
    region,
)
from training_platform.reference.models import Occupation, SkillLevel

pytestmark = pytest.mark.django_db

URL = "/courses/"
TODAY = dt.date.today()


def index_page() -> CourseIndexPage:
    return CourseIndexPage.objects.get()


def listed(client, **params) -> list[str]:
    """Codes of the classes on the catalogue page for these query parameters."""
    response = client.get(URL, params)
    assert response.status_code == 200
    return [c.code for c in response.context["classes"]]


def open_class(code, *, course=None, region_code="520102", **kwargs):
    course = course or CourseFactory()
    return TrainingClassFactory(
        code=code, course=course, region=region(region_code), **kwargs
    )


def occupation_outside(prefix: str, *, inside: str) -> Occupation:
    """An occupation under ``inside`` but not under ``prefix``."""
    return (
        Occupation.objects.filter(code__startswith=inside + "-")
        .exclude(code__startswith=prefix)
        .order_by("code")
        .first()
    )


def add_course_page(course, *, live=True) -> CoursePage:
    page = CoursePage(
        title=f"{course.title}页", slug=f"course-{course.pk}", course=course
    )
    index_page().add_child(instance=page)
    if not live:
        page.unpublish()
    return page


class FormState(HTMLParser):
    """The name → value pairs a browser would submit from the filter form."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None
        self._first = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("class") == "filters":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind == "checkbox":
                if "checked" in attrs:
                    self.values[attrs["name"]] = attrs["value"]
            elif attrs.get("value"):
                self.values[attrs["name"]] = attrs["value"]
        elif tag == "select":
            self._select = attrs["name"]
            self._first = None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first is None:
                self._first = value  # what a browser submits if none is selected
            if "selected" in attrs and value:
                self.values[self._select] = value

    def handle_endtag(self, tag):
        if tag == "select":
            if self._first and self._select not in self.values:
                self.values[self._select] = self._first
            self._select = None
        if tag == "form":
            self._in_form = False


def form_state(response) -> dict[str, str]:
    parser = FormState()
    parser.feed(response.content.decode())
    return parser.values


def links(response, css_class="pagination") -> list[str]:
    body = response.content.decode()
    nav = body[body.index(f'class="{css_class}"') :]
    nav = nav[: nav.index("</nav>")]
    return [unescape(part.split('"')[0]) for part in nav.split('href="')[1:]]


# --- the page and its address ---------------------------------------------------------


def test_catalogue_lives_at_courses_under_the_home_page(client):
    index = index_page()
    home = Site.objects.get(is_default_site=True).root_page.specific
    assert isinstance(home, HomePage)
    assert index.get_parent().pk == home.pk
    assert index.url == URL
    assert index.live
    assert Page.find_problems() == ([], [], [], [], [])
    response = client.get(URL)
    assert response.status_code == 200
    assert "<h1>培训课程</h1>" in response.content.decode()


def test_migration_is_safe_to_repeat_and_recreates_a_deleted_catalogue():
    migration = importlib.import_module("cms.migrations.0004_create_course_index")
    migration.create_course_index(django_apps, None)
    assert CourseIndexPage.objects.count() == 1

    home = index_page().get_parent()
    home.add_child(instance=HomePage(title="另一个页面", slug="other"))  # a sibling
    index_page().delete()
    migration.create_course_index(django_apps, None)

    index = index_page()
    assert index.url == URL
    assert index.get_parent().pk == home.pk
    assert Page.find_problems() == ([], [], [], [], [])


def test_catalogue_and_course_pages_fit_only_where_they_belong():
    assert CourseIndexPage.parent_page_types == ["cms.HomePage"]
    assert CourseIndexPage.max_count == 1
    assert CourseIndexPage.subpage_types == ["cms.CoursePage"]
    assert CoursePage.parent_page_types == ["cms.CourseIndexPage"]
    assert not CourseIndexPage.can_create_at(index_page().get_parent())


# --- what is listed --------------------------------------------------------------------


def test_only_open_classes_are_listed(client):
    open_class("OPEN-1")
    for status in ClassStatus:
        if status != ClassStatus.OPEN:
            open_class(f"X-{status}", status=status)
    assert listed(client) == ["OPEN-1"]


def test_a_row_shows_what_a_visitor_needs(client):
    course = CourseFactory(
        title="中式烹调师（四级）",
        occupation=Occupation.objects.get(code="4-03-02-01"),
        target_level=SkillLevel.LEVEL_4,
        kind=CourseKind.UPGRADE,
        fee=Decimal("1200"),
        subsidised=True,
        institution=InstitutionFactory(name="花溪烹饪学校"),
    )
    training_class = open_class(
        "HX-001",
        course=course,
        region_code="520111",
        capacity=40,
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 3, 20),
    )
    TrainingClass.objects.filter(pk=training_class.pk).update(seats_taken=15)
    body = client.get(URL).content.decode()
    for text in (
        "中式烹调师（四级）",
        "4-03-02-01 中式烹调师",
        "四级/中级工",
        "岗位技能提升培训",
        "花溪烹饪学校",
        "贵阳市 · 花溪区",
        "2027-03-01",
        "2027-03-20",
        "剩余 25 / 共 40",
        "补贴性培训",
        "学费 <strong>1,200.00 元</strong>",
        "补贴金额由人社部门核定",
        'href="/classes/HX-001/enrol/"',
    ):
        assert text in body, text


def test_title_links_to_the_course_page_only_while_it_is_live(client):
    with_page = CourseFactory(title="有页面的项目")
    draft = CourseFactory(title="页面未发布的项目")
    without = CourseFactory(title="没有页面的项目")
    for i, course in enumerate((with_page, draft, without)):
        open_class(f"L-{i}", course=course)
    page = add_course_page(with_page)
    add_course_page(draft, live=False)
    body = client.get(URL).content.decode()
    assert f'<a href="{page.url}">有页面的项目</a>' in body
    assert "<h3>页面未发布的项目</h3>" in body
    assert "<h3>没有页面的项目</h3>" in body


def test_a_full_class_has_no_enrol_link(client):
    full = open_class("FULL-1", capacity=2)
    TrainingClass.objects.filter(pk=full.pk).update(seats_taken=2)
    body = client.get(URL).content.decode()
    assert "剩余 0 / 共 2" in body
    assert "名额已满" in body
    assert "/classes/FULL-1/enrol/" not in body


# --- filters ---------------------------------------------------------------------------


def test_occupation_filter_takes_an_occupation_or_any_level_of_its_group(client):
    electrician = Occupation.objects.get(code="6-31-01-03")
    same_minor = (
        Occupation.objects.filter(minor_id="6-31-01").exclude(pk=electrician.pk).first()
    )
    same_middle = occupation_outside("6-31-01", inside="6-31")
    same_major = occupation_outside("6-31", inside="6")
    other_major = Occupation.objects.get(code="4-03-02-01")
    for occupation in (electrician, same_minor, same_middle, same_major, other_major):
        open_class(occupation.code, course=CourseFactory(occupation=occupation))

    assert listed(client, occupation="6-31-01-03") == ["6-31-01-03"]
    assert sorted(listed(client, occupation="6-31-01")) == sorted(
        ["6-31-01-03", same_minor.code]
    )
    assert sorted(listed(client, occupation="6-31")) == sorted(
        ["6-31-01-03", same_minor.code, same_middle.code]
    )
    assert "4-03-02-01" not in listed(client, occupation="6")
    assert len(listed(client, occupation="6")) == 4
    assert listed(client, occupation="4") == ["4-03-02-01"]


def test_occupation_filter_takes_a_name_or_a_suggestion(client):
    electrician = Occupation.objects.get(code="6-31-01-03")
    assert electrician.name == "电工"
    open_class("ELEC-1", course=CourseFactory(occupation=electrician, title="四级培训"))
    open_class(
        "COOK-1",
        course=CourseFactory(occupation=Occupation.objects.get(code="4-03-02-01")),
    )
    assert listed(client, occupation="电工") == ["ELEC-1"]
    assert listed(client, occupation=" 电工 ") == ["ELEC-1"]
    assert listed(client, occupation="6-31-01-03 电工") == ["ELEC-1"]
    assert listed(client, occupation="中式烹调") == ["COOK-1"]
    assert listed(client, occupation="焊工") == []
    # The occupations that have open classes are suggested with their codes.
    suggestions = client.get(URL).context["filter"].occupation_suggestions()
    assert "6-31-01-03 电工" in suggestions
    assert "4-03-02-01 中式烹调师" in suggestions


def test_on_a_phone_the_filters_fold_behind_one_button_before_the_results(client):
    open_class("ANY-1")
    body = client.get(URL).content.decode()
    fold = body.index('<details class="filters-fold">')
    assert fold < body.index("<summary>筛选条件") < body.index('class="filters"')
    assert body.index("</details>") < body.index('class="results"')
    # With filters chosen the button says how many; with an error it stands open.
    body = client.get(URL, {"q": "电工", "subsidised": "1"}).content.decode()
    assert "（已选 2 项）" in body
    body = client.get(URL, {"occupation": "6-3"}).content.decode()
    assert '<details class="filters-fold" open>' in body


def test_an_invalid_occupation_is_reported_and_ignored(client):
    open_class("ANY-1")
    response = client.get(URL, {"occupation": "6-3"})
    assert [c.code for c in response.context["classes"]] == ["ANY-1"]
    assert "occupation" in response.context["filter"].form.errors
    assert 'role="alert"' in response.content.decode()


def test_region_filter_takes_a_prefecture_with_its_counties_or_one_county(client):
    open_class("NANMING", region_code="520102")  # 贵阳市 南明区
    open_class("HUAXI", region_code="520111")  # 贵阳市 花溪区
    open_class("ZUNYI", region_code="520302")  # 遵义市 红花岗区
    assert sorted(listed(client, region="520100")) == ["HUAXI", "NANMING"]
    assert listed(client, region="520111") == ["HUAXI"]
    assert listed(client, region="520300") == ["ZUNYI"]
    # Not a region of the province: reported and ignored.
    response = client.get(URL, {"region": "110101"})
    assert len(response.context["classes"]) == 3
    assert "region" in response.context["filter"].form.errors


def test_kind_and_level_filters(client):
    open_class("EMP-4", course=CourseFactory(kind=CourseKind.EMPLOYMENT))
    open_class(
        "UPG-3",
        course=CourseFactory(kind=CourseKind.UPGRADE, target_level=SkillLevel.LEVEL_3),
    )
    assert listed(client, kind=CourseKind.UPGRADE) == ["UPG-3"]
    assert listed(client, kind=CourseKind.EMPLOYMENT) == ["EMP-4"]
    assert listed(client, level=SkillLevel.LEVEL_3) == ["UPG-3"]
    assert listed(client, level=SkillLevel.LEVEL_4) == ["EMP-4"]
    assert listed(client, kind=CourseKind.UPGRADE, level=SkillLevel.LEVEL_4) == []


def test_start_date_range_filter(client):
    for code, start in (
        ("MAR", dt.date(2027, 3, 1)),
        ("APR", dt.date(2027, 4, 1)),
        ("MAY", dt.date(2027, 5, 1)),
    ):
        open_class(code, start_date=start, end_date=start + dt.timedelta(days=10))
    assert listed(client, start_after="2027-04-01") == ["APR", "MAY"]
    assert listed(client, start_before="2027-04-01") == ["MAR", "APR"]
    assert listed(client, start_after="2027-03-02", start_before="2027-04-30") == [
        "APR"
    ]


def test_subsidised_only(client):
    open_class("SUB", course=CourseFactory(subsidised=True))
    open_class("PAID", course=CourseFactory(subsidised=False, fee=Decimal("800")))
    assert sorted(listed(client)) == ["PAID", "SUB"]
    assert listed(client, subsidised="1") == ["SUB"]


def test_seats_left_only_excludes_a_full_class(client):
    open_class("ROOM", capacity=10)
    full = open_class("FULL", capacity=10)
    TrainingClass.objects.filter(pk=full.pk).update(seats_taken=10)
    assert sorted(listed(client)) == ["FULL", "ROOM"]
    assert listed(client, seats_left="1") == ["ROOM"]


def test_text_search_over_title_occupation_and_institution(client):
    open_class("BY-TITLE", course=CourseFactory(title="茶艺师培训班"))
    open_class(
        "BY-OCCUPATION",
        course=CourseFactory(
            title="四级培训", occupation=Occupation.objects.get(code="4-03-02-01")
        ),
    )
    open_class(
        "BY-INSTITUTION",
        course=CourseFactory(
            title="综合培训", institution=InstitutionFactory(name="遵义技师学院")
        ),
    )
    assert listed(client, q="茶艺") == ["BY-TITLE"]
    assert listed(client, q="中式烹调") == ["BY-OCCUPATION"]
    assert listed(client, q="遵义技师") == ["BY-INSTITUTION"]
    # Every word must match somewhere; words may match different names.
    assert listed(client, q="综合 遵义") == ["BY-INSTITUTION"]
    assert listed(client, q="茶艺 遵义") == []


# --- ordering and pagination -----------------------------------------------------------


def test_ordering(client):
    cheap_late = open_class(
        "C",
        course=CourseFactory(fee=Decimal("100")),
        start_date=TODAY + dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=40),
        capacity=50,
    )
    open_class(
        "A",
        course=CourseFactory(fee=Decimal("900")),
        start_date=TODAY + dt.timedelta(days=10),
        end_date=TODAY + dt.timedelta(days=20),
        capacity=20,
    )
    open_class(
        "B",
        course=CourseFactory(fee=Decimal("500")),
        start_date=TODAY + dt.timedelta(days=20),
        end_date=TODAY + dt.timedelta(days=30),
        capacity=30,
    )
    TrainingClass.objects.filter(pk=cheap_late.pk).update(seats_taken=45)

    assert listed(client) == ["A", "B", "C"]  # soonest start first by default
    assert listed(client, sort="start") == ["A", "B", "C"]
    assert listed(client, sort="newest") == ["B", "A", "C"]
    assert listed(client, sort="seats") == ["B", "A", "C"]  # 30, 20, 5 seats left
    assert listed(client, sort="fee") == ["C", "B", "A"]


def test_pagination_keeps_the_filters_in_every_link(client):
    course = CourseFactory(kind=CourseKind.UPGRADE)
    for i in range(45):
        open_class(
            f"P-{i:02d}",
            course=course,
            start_date=TODAY + dt.timedelta(days=i),
            end_date=TODAY + dt.timedelta(days=i + 5),
        )
    open_class("OTHER-KIND", course=CourseFactory(kind=CourseKind.EMPLOYMENT))

    first = client.get(URL, {"kind": "upgrade", "sort": "start"})
    assert [c.code for c in first.context["classes"]] == [
        f"P-{i:02d}" for i in range(20)
    ]
    assert first.context["page_obj"].paginator.count == 45
    hrefs = links(first)
    assert hrefs, "page links expected"
    for href in hrefs:
        query = parse_qs(urlsplit(href).query)
        assert query["kind"] == ["upgrade"]
        assert query["sort"] == ["start"]
    next_href = next(h for h in hrefs if parse_qs(urlsplit(h).query)["page"] == ["2"])

    second = client.get(URL + next_href)
    assert [c.code for c in second.context["classes"]] == [
        f"P-{i:02d}" for i in range(20, 40)
    ]
    last = client.get(URL, {"kind": "upgrade", "sort": "start", "page": "3"})
    assert [c.code for c in last.context["classes"]] == [
        f"P-{i:02d}" for i in range(40, 45)
    ]
    # Past the end or nonsense: the nearest real page, never an error.
    assert (
        client.get(URL, {"kind": "upgrade", "page": "99"}).context["page_obj"].number
        == 3
    )
    assert client.get(URL, {"page": "x"}).context["page_obj"].number == 1


def test_filter_state_round_trips_through_the_form(client):
    open_class("ANY")
    state = {
        "q": "电工",
        "occupation": "6-31",
        "region": "520111",
        "kind": "upgrade",
        "level": "3",
        "start_after": "2027-01-01",
        "start_before": "2027-12-31",
        "subsidised": "1",
        "seats_left": "1",
        "sort": "fee",
    }
    response = client.get(URL, state)
    assert response.context["filter"].form.is_valid()
    # What the form would submit again is exactly what was asked for.
    assert form_state(response) == state
    body = response.content.decode()
    assert '<form method="get" action="/courses/"' in body
    # An occupation finer than the listed groups stays selected too.
    assert form_state(client.get(URL, {"occupation": "6-31-01-03"})) == {
        "occupation": "6-31-01-03",
        "sort": "start",
    }


def test_every_filter_has_a_label_and_the_choices_come_from_the_reference_tables(
    client,
):
    response = client.get(URL)
    form = response.context["filter"].form
    body = response.content.decode()
    for field in form:
        assert f'<label for="{field.id_for_label}"' in body, field.name
    region_choices = form.fields["region"].choices
    groups = [choice for choice in region_choices if isinstance(choice[1], list)]
    assert len(groups) == 9  # the prefectures, each with its counties
    assert sum(len(options) for _label, options in groups) == 9 + 88
    guiyang = next(options for label, options in groups if label == "贵阳市")
    assert guiyang[0][0] == "520100"
    assert ("520111", "花溪区") in guiyang
    # The occupation field suggests the 大类 and 中类 while typing (a name or a code).
    suggestions = response.context["filter"].occupation_suggestions()
    assert len(suggestions) == 8 + 79
    assert "6-31 生产辅助人员" in suggestions
    assert 'list="occupation-options"' in body
    assert '<datalist id="occupation-options">' in body


# --- course pages ----------------------------------------------------------------------


def test_course_page_shows_the_course_and_only_its_open_classes(client):
    course = CourseFactory(title="电工（四级）", description="理论与实操结合。")
    open_class("MINE-1", course=course, region_code="520111")
    open_class("MINE-2", course=course, region_code="520302")
    open_class("MINE-DONE", course=course, status=ClassStatus.FINISHED)
    open_class("NOT-MINE", course=CourseFactory())
    page = add_course_page(course)

    response = client.get(page.url)
    assert response.status_code == 200
    assert [c.code for c in response.context["classes"]] == ["MINE-1", "MINE-2"]
    body = response.content.decode()
    assert "理论与实操结合。" in body
    assert "6-31-01-03 电工" in body
    assert "遵义市 · 红花岗区" in body
    assert 'href="/classes/MINE-1/enrol/"' in body
    assert "MINE-DONE" not in body
    assert "NOT-MINE" not in body
    assert page.url.startswith(URL)


def test_a_course_has_at_most_one_page():
    course = CourseFactory()
    add_course_page(course)
    with pytest.raises(ValidationError):
        index_page().add_child(
            instance=CoursePage(title="重复", slug="again", course=course)
        )


def test_editors_can_add_a_course_page_in_the_wagtail_admin(client):
    course = CourseFactory(title="茶艺师（五级）")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    index = index_page()
    add_url = f"/admin/pages/add/cms/coursepage/{index.pk}/"
    assert client.get(add_url).status_code == 200
    response = client.post(
        add_url,
        {
            "title": "茶艺师培训",
            "slug": "tea",
            "course": course.pk,
            "action-publish": "publish",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    page = CoursePage.objects.get(course=course)
    assert page.live
    assert page.url == "/courses/tea/"
    assert client.get(f"/admin/pages/{index.pk}/edit/").status_code == 200


# --- query counts (SPEC 4: independent of the amount of data) --------------------------


def _add_catalogue_rows(n: int, start: int = 0):
    counties = ["520102", "520111", "520302", "520402", "522301", "522601"]
    occupations = list(
        Occupation.objects.filter(code__startswith="6-").order_by("code")[:5]
    ) + [Occupation.objects.get(code="4-03-02-01")]
    for i in range(start, start + n):
        county = counties[i % len(counties)]
        course = CourseFactory(
            occupation=occupations[i % len(occupations)],
            institution=InstitutionFactory(region=region(county)),
            fee=Decimal(100 * (i % 7)),
        )
        open_class(f"Q-{i:03d}", course=course, region_code=county)
        if i % 2:
            add_course_page(course)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "培训", "region": "520100", "sort": "seats", "seats_left": "1"},
        {"occupation": "6-31-01-03", "sort": "fee", "page": "2"},
    ],
)
def test_catalogue_query_count_does_not_grow_with_rows(
    client, params, django_assert_max_num_queries
):
    _add_catalogue_rows(3)
    client.get(URL, params)  # warm caches (site root paths, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, params).status_code == 200
    _add_catalogue_rows(45, start=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, params)
    assert response.status_code == 200
    if not params:
        assert len(response.context["classes"]) == 20


def test_course_page_query_count_does_not_grow_with_classes(
    client, django_assert_max_num_queries
):
    course = CourseFactory()
    page = add_course_page(course)
    open_class("CP-000", course=course)
    client.get(page.url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page.url).status_code == 200
    for i, county in enumerate(["520111", "520302", "522601"] * 8, start=1):
        open_class(f"CP-{i:03d}", course=course, region_code=county)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(page.url)
    assert len(response.context["classes"]) == 25


def test_classes_of_withdrawn_courses_are_not_listed(client):
    from tests.factories import CourseFactory, TrainingClassFactory

    TrainingClassFactory(course=CourseFactory(title="已停办的项目", is_active=False))
    TrainingClassFactory(course=CourseFactory(title="正常的项目"))
    body = client.get("/courses/").content.decode()
    assert "正常的项目" in body
    assert "已停办的项目" not in body


def test_course_pages_cannot_be_copied_or_aliased(client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from cms.models import CourseIndexPage, CoursePage
    from tests.factories import CourseFactory

    index = CourseIndexPage.objects.get()
    page = index.add_child(
        instance=CoursePage(title="电工", slug="dian-gong", course=CourseFactory())
    )
    admin = get_user_model().objects.create_superuser("copyadmin", password="x" * 12)
    client.force_login(admin)
    response = client.post(
        reverse("wagtailadmin_pages:copy", args=[page.id]),
        {
            "new_title": "电工副本",
            "new_slug": "dian-gong-2",
            "new_parent_page": index.id,
        },
    )
    assert response.status_code == 302
    assert CoursePage.objects.count() == 1
