"""The home page's live data (issue 12 item 4): classes starting soon, latest news,
upcoming competitions and key figures counted from the records, cached."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.models import CertificateStatus
from cms.live import KEY_FIGURES, cache_key, home_live_data, key_figures
from cms.models import CourseIndexPage, CoursePage
from competitions.models import CompetitionStatus
from courses.models import ClassStatus, EnrolmentStatus
from monitoring.summary import indicator_rows
from tests.factories import (
    CertificateFactory,
    CompetitionFactory,
    CourseFactory,
    EnrolmentFactory,
    TraineeFactory,
    TrainingClassFactory,
)
from training_platform.reference.models import CertificateKind, SkillLevel

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def finished_class(end_date):
    return TrainingClassFactory(
        status=ClassStatus.FINISHED,
        start_date=end_date - dt.timedelta(days=10),
        end_date=end_date,
    )


def test_key_figures_count_what_the_records_say():
    this_year = finished_class(dt.date(TODAY.year, 1, 15))
    other = finished_class(dt.date(TODAY.year, 1, 20))
    last_year = finished_class(dt.date(TODAY.year - 1, 12, 20))
    running = TrainingClassFactory(status=ClassStatus.RUNNING)
    twice = TraineeFactory()
    # 人次, as the plan counts and the dashboard's 职业培训人次: a person trained twice
    # this year counts twice (issue 13 moved the figure from distinct people).
    EnrolmentFactory(trainee=twice, training_class=this_year)
    EnrolmentFactory(trainee=twice, training_class=other)
    EnrolmentFactory(training_class=this_year)
    EnrolmentFactory(training_class=this_year, status=EnrolmentStatus.WITHDRAWN)
    EnrolmentFactory(training_class=last_year)
    EnrolmentFactory(training_class=running)

    CertificateFactory()
    CertificateFactory(expires_on=TODAY + dt.timedelta(days=30))
    CertificateFactory(
        issued_on=TODAY - dt.timedelta(days=400),
        expires_on=TODAY - dt.timedelta(days=1),
    )  # expired
    CertificateFactory(status=CertificateStatus.REVOKED, revoked_at=timezone.now())
    # 技能人才培养 this year: valid skill-level certificates issued this year.
    CertificateFactory(
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_4,
        issued_on=dt.date(TODAY.year, 1, 1),
    )
    CertificateFactory(
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_3,
        issued_on=dt.date(TODAY.year - 1, 12, 31),
    )  # last year: valid today, not this year's
    CertificateFactory(
        kind=CertificateKind.SKILL_LEVEL,
        level=SkillLevel.LEVEL_3,
        issued_on=dt.date(TODAY.year, 1, 1),
        status=CertificateStatus.REVOKED,
        revoked_at=timezone.now(),
    )

    CompetitionFactory(status=CompetitionStatus.PUBLISHED)  # not a key figure

    assert key_figures(TODAY) == {
        "person_times_this_year": 3,
        "skill_talent_this_year": 1,
        "certificates_valid": 4,
    }


def test_key_figures_are_the_indicator_queries_totals_for_the_province():
    EnrolmentFactory(training_class=finished_class(dt.date(TODAY.year, 1, 15)))
    EnrolmentFactory(
        training_class=finished_class(dt.date(TODAY.year, 1, 15)),
    )
    CertificateFactory(kind=CertificateKind.SKILL_LEVEL, level=SkillLevel.LEVEL_2)
    CertificateFactory()
    year = TODAY.year

    def total(key, **kw):
        rows = indicator_rows(key, by="county", **kw).rows
        return int(sum(r.value for r in rows))

    figures = key_figures(TODAY)
    assert figures["person_times_this_year"] == total(
        "training_person_times", year_from=year, year_to=year
    )
    assert figures["skill_talent_this_year"] == total(
        "skill_talent", year_from=year, year_to=year
    )
    assert figures["certificates_valid"] == total("certificates_valid")
    assert figures == {
        "person_times_this_year": 2,
        "skill_talent_this_year": 1,
        "certificates_valid": 2,
    }


def test_key_figures_run_two_queries_each_however_many_rows(django_assert_num_queries):
    # Each figure is one indicator_rows call: is there a summary, then the rows.
    with django_assert_num_queries(2 * len(KEY_FIGURES)):
        key_figures(TODAY)
    for _ in range(4):
        EnrolmentFactory(training_class=finished_class(TODAY))
        CertificateFactory(kind=CertificateKind.SKILL_LEVEL, level=SkillLevel.LEVEL_3)
    with django_assert_num_queries(2 * len(KEY_FIGURES)):
        assert key_figures(TODAY)["person_times_this_year"] == 4


def test_home_shows_live_sections_and_links_classes_to_their_course_page(client):
    course = CourseFactory(title="高压电工作业培训")
    page = CoursePage(title="高压电工作业", slug="gaoya", course=course)
    CourseIndexPage.objects.get().add_child(instance=page)
    TrainingClassFactory(course=course, start_date=TODAY + dt.timedelta(days=3))
    TrainingClassFactory(start_date=TODAY - dt.timedelta(days=3))  # already started
    CompetitionFactory(
        name="贵州省焊工技能大赛",
        starts_on=TODAY + dt.timedelta(days=30),
        ends_on=TODAY + dt.timedelta(days=31),
    )
    CompetitionFactory(
        name="早已开始的比赛",
        starts_on=TODAY - dt.timedelta(days=3),
        ends_on=TODAY + dt.timedelta(days=1),
    )
    body = client.get("/").content.decode()
    assert "即将开班" in body and "近期竞赛" in body and "最新动态" in body
    assert f'<a href="{page.url}">高压电工作业培训</a>' in body
    assert body.count("<li>", body.index("即将开班"), body.index("最新动态")) == 1
    assert "贵州省焊工技能大赛" in body
    assert "早已开始的比赛" not in body
    assert "暂无新闻。" in body
    assert 'data-figure="trained">0 人次' in body
    assert 'data-figure="skill-talent">0 人次' in body


def test_home_renders_in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get("/")
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Starting soon" in body
    assert "Valid certificates" in body
    assert "Training this year (person-times)" in body


def test_figures_are_cached_per_language_and_read_once_when_warm(client):
    client.get("/")
    assert cache.get(cache_key()) is not None
    CertificateFactory()
    # Warm: the new certificate is not counted until the entry expires.
    assert home_live_data()["figures"]["certificates_valid"] == 0
    with CaptureQueriesContext(connection) as warm:
        home_live_data()
    assert len(warm) == 0
    cache.clear()
    assert home_live_data()["figures"]["certificates_valid"] == 1


def _rows(n):
    for _ in range(n):
        TrainingClassFactory(start_date=TODAY + dt.timedelta(days=2))
        CompetitionFactory(
            starts_on=TODAY + dt.timedelta(days=5),
            ends_on=TODAY + dt.timedelta(days=6),
        )
        enrolment = EnrolmentFactory(training_class=finished_class(TODAY))
        CertificateFactory(trainee=enrolment.trainee)


def _home_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_home_query_count_does_not_grow_with_rows(client):
    _rows(2)
    client.get("/")  # settle one-off lookups (site, content types)
    few = _home_queries(client)
    _rows(6)
    assert _home_queries(client) == few
    # Warm: the live block costs no query at all.
    with CaptureQueriesContext(connection) as warm:
        client.get("/")
    with CaptureQueriesContext(connection) as cold_again:
        cache.clear()
        client.get("/")
    assert len(warm) < len(cold_again)


def test_home_lists_the_latest_news_newest_first(client):
    from tests.cms.news_helpers import add_news

    for n in range(6):
        add_news(f"新闻{n}", days_ago=n)
    body = client.get("/").content.decode()
    section = body[body.index("最新动态") : body.index("近期竞赛")]
    assert "新闻0" in section and "新闻4" in section
    assert "新闻5" not in section  # five shown
    assert section.index("新闻0") < section.index("新闻1")


def test_a_news_item_published_shows_on_the_home_page_at_once(client):
    from tests.cms.news_helpers import add_news

    client.get("/")  # cache warm, no news
    add_news("刚发布的新闻")
    assert "刚发布的新闻" in client.get("/").content.decode()


def test_an_upcoming_competition_links_to_its_page():
    from cms.models import CompetitionIndexPage
    from cms.models import CompetitionPage as competition_page

    index = CompetitionIndexPage.objects.get()
    competition = CompetitionFactory(
        starts_on=TODAY + dt.timedelta(days=30), ends_on=TODAY + dt.timedelta(days=31)
    )
    page = competition_page(
        title=competition.name, slug="dasai", competition=competition
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    cache.clear()
    [item] = home_live_data()["competitions"]
    assert item.url == page.url
