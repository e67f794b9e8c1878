"""GET /api/v1/courses and /api/v1/classes: the catalogue page's classes and filters."""

import datetime as dt
from decimal import Decimal

import pytest

from courses.models import ClassStatus, CourseKind
from tests.factories import (
    CourseFactory,
    InstitutionFactory,
    TrainingBaseFactory,
    TrainingClassFactory,
    region,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def _codes(response):
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


@pytest.fixture
def catalogue():
    guiyang = CourseFactory(
        title="电工培训", fee=Decimal("800.00"), institution__name="贵阳电工学校"
    )
    zunyi = CourseFactory(
        title="创业培训",
        kind=CourseKind.ENTREPRENEURSHIP,
        target_level="",
        subsidised=False,
        institution=InstitutionFactory(name="遵义创业学校", region=region("520302")),
    )
    soon = TrainingClassFactory(
        code="GY-1", course=guiyang, start_date=TODAY + dt.timedelta(days=3)
    )
    later = TrainingClassFactory(
        code="GY-2",
        course=guiyang,
        start_date=TODAY + dt.timedelta(days=30),
        capacity=10,
        venue=TrainingBaseFactory(name="花溪实训基地"),
    )
    full = TrainingClassFactory(
        code="ZY-1", course=zunyi, start_date=TODAY + dt.timedelta(days=10), capacity=5
    )
    full.seats_taken = 5
    full.save(update_fields=["seats_taken"])
    TrainingClassFactory(code="GY-DRAFT", course=guiyang, status=ClassStatus.DRAFT)
    return {"guiyang": guiyang, "zunyi": zunyi, "soon": soon, "later": later}


def test_classes_lists_open_classes_only_in_the_page_order(client, catalogue):
    response = client.get("/api/v1/classes")
    assert _codes(response) == ["GY-1", "ZY-1", "GY-2"]
    body = response.json()
    assert (body["count"], body["page"], body["page_size"]) == (3, 1, 20)
    item = body["items"][2]
    assert item["title"] == "电工培训"
    assert item["fee"] == "800.00"
    assert item["institution"]["name"] == "贵阳电工学校"
    assert item["occupation"] == {
        "code": "6-31-01-03",
        "name": item["occupation"]["name"],
    }
    assert item["region"]["code"] == "520102"
    assert item["venue"] == "花溪实训基地"
    assert (item["capacity"], item["seats_taken"], item["seats_left"]) == (10, 0, 10)
    assert item["start_date"] == (TODAY + dt.timedelta(days=30)).isoformat()


def test_classes_take_the_catalogue_filters(client, catalogue):
    assert _codes(client.get("/api/v1/classes?region=520300")) == ["ZY-1"]
    assert _codes(client.get("/api/v1/classes?kind=entrepreneurship")) == ["ZY-1"]
    assert _codes(client.get("/api/v1/classes?seats_left=true")) == ["GY-1", "GY-2"]
    assert _codes(client.get("/api/v1/classes?subsidised=true")) == ["GY-1", "GY-2"]
    assert _codes(client.get("/api/v1/classes?q=电工 贵阳")) == ["GY-1", "GY-2"]
    assert _codes(client.get("/api/v1/classes?occupation=6-31")) == [
        "GY-1",
        "ZY-1",
        "GY-2",
    ]
    after = (TODAY + dt.timedelta(days=5)).isoformat()
    assert _codes(client.get(f"/api/v1/classes?start_after={after}")) == [
        "ZY-1",
        "GY-2",
    ]
    assert _codes(client.get("/api/v1/classes?sort=seats")) == ["GY-1", "GY-2", "ZY-1"]
    assert _codes(client.get("/api/v1/classes?page=2&page_size=2")) == ["GY-2"]
    assert _codes(client.get("/api/v1/classes?page=9")) == []


def test_a_filter_the_page_would_ignore_is_refused(client, catalogue):
    for query in ("region=999999", "occupation=6-3", "start_after=someday", "sort=x"):
        response = client.get(f"/api/v1/classes?{query}")
        assert response.status_code == 422, query
        body = response.json()
        assert body["detail"] == "invalid" and query.split("=")[0] in body["message"]


def test_courses_sum_up_their_matching_open_classes(client, catalogue):
    response = client.get("/api/v1/courses")
    assert response.status_code == 200
    items = {item["title"]: item for item in response.json()["items"]}
    assert set(items) == {"电工培训", "创业培训"}
    electric = items["电工培训"]
    assert electric["open_classes"] == 2  # the draft class does not count
    assert electric["seats_left"] == 40
    assert electric["next_start"] == (TODAY + dt.timedelta(days=3)).isoformat()
    assert electric["kind_label"] == "就业技能培训"
    assert items["创业培训"]["seats_left"] == 0
    # Filters narrow the classes counted, and drop courses with none left.
    response = client.get("/api/v1/courses?seats_left=true")
    (only,) = response.json()["items"]
    assert only["title"] == "电工培训" and only["open_classes"] == 2
    after = (TODAY + dt.timedelta(days=5)).isoformat()
    body = client.get(f"/api/v1/courses?start_after={after}&sort=start").json()
    assert [i["title"] for i in body["items"]] == ["创业培训", "电工培训"]
    assert body["items"][1]["open_classes"] == 1


def test_a_course_without_open_classes_is_not_listed(client, db):
    TrainingClassFactory(status=ClassStatus.FINISHED)
    assert client.get("/api/v1/courses").json()["count"] == 0


@pytest.mark.parametrize("path", ["/api/v1/classes", "/api/v1/courses"])
def test_query_count_does_not_grow_with_rows(
    client, db, path, django_assert_max_num_queries
):
    TrainingClassFactory()
    with django_assert_max_num_queries(50) as one:
        assert client.get(path).json()["count"] == 1
    for _ in range(6):
        TrainingClassFactory(venue=TrainingBaseFactory())
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(path).json()["count"] == 7
