"""The public competition list at /competitions/ and the competition pages under it:
facts and events from the Competition record, results read from the latest published
ResultVersion (never typed), certificate links, correction notice, query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from cms.models import (
    BasesIndexPage,
    CompetitionIndexPage,
    CompetitionPage,
    CourseIndexPage,
    HomePage,
    StandardPage,
)
from competitions.models import (
    CompetitionLevel,
    CompetitionStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Result,
    ResultVersion,
    VersionStatus,
)
from competitions.selectors import public_results
from tests.factories import (
    CertificateFactory,
    CompetitionFactory,
    EventFactory,
    TraineeFactory,
    competitor,
)
from training_platform.reference.models import SkillLevel

pytestmark = pytest.mark.django_db

URL = "/competitions/"


def index_page() -> CompetitionIndexPage:
    return CompetitionIndexPage.objects.get()


def add_page(competition, *, live=True) -> CompetitionPage:
    page = CompetitionPage(
        title=competition.name, slug=f"c-{competition.pk}", competition=competition
    )
    index_page().add_child(instance=page)
    if not live:
        page.unpublish()
    return page


def publish(competition, *, number=1, reason="", published_at=None) -> ResultVersion:
    """A published version written directly (helper P's services do it for real)."""
    ResultVersion.objects.filter(
        competition=competition, status=VersionStatus.PUBLISHED
    ).update(status=VersionStatus.SUPERSEDED)
    version = ResultVersion.objects.create(
        competition=competition,
        number=number,
        status=VersionStatus.PUBLISHED,
        reason=reason,
        published_at=published_at or timezone.now(),
    )
    type(competition).objects.filter(pk=competition.pk).update(
        status=CompetitionStatus.PUBLISHED
    )
    competition.status = CompetitionStatus.PUBLISHED
    return version


def result(version, entry, rank, award="", total="88.50", **marks) -> Result:
    return Result.objects.create(
        version=version,
        event=entry.event,
        entry=entry,
        theory=Decimal(marks.get("theory", "80")),
        practical=Decimal(marks.get("practical", "92")),
        total=Decimal(total),
        worldskills=marks.get("worldskills"),
        rank=rank,
        award=award,
        formulas={"total": "理论 80 × 30% + 实操 92 × 70% = 88.50"},
    )


def certificate_outcome(version, entry, person, name="一等奖", rank=1) -> Outcome:
    certificate = CertificateFactory(trainee=person)
    return Outcome.objects.create(
        competition=version.competition,
        event=entry.event,
        trainee=person,
        kind=OutcomeKind.CERTIFICATE,
        name=name,
        rank=rank,
        certificate=certificate,
        issued_in=version,
        issued_on=dt.date(2026, 6, 20),
    )


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


# --- page-type rules and the data migration ------------------------------------------------


class TestPageTypes(WagtailPageTestCase):
    def test_where_competition_pages_belong(self):
        self.assertAllowedParentPageTypes(CompetitionIndexPage, {HomePage})
        self.assertAllowedParentPageTypes(CompetitionPage, {CompetitionIndexPage})
        self.assertAllowedSubpageTypes(CompetitionIndexPage, {CompetitionPage})
        self.assertAllowedSubpageTypes(CompetitionPage, set())
        self.assertCanNotCreateAt(StandardPage, CompetitionPage)
        self.assertCanNotCreateAt(CourseIndexPage, CompetitionPage)
        self.assertAllowedParentPageTypes(BasesIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(BasesIndexPage, set())

    def test_one_index_each_made_by_the_migration(self):
        home = HomePage.objects.get()
        self.assertCanCreateAt(HomePage, CompetitionIndexPage)
        self.assertCanCreateAt(HomePage, BasesIndexPage)
        # The migration made them, so no second one may be created (max_count).
        assert not CompetitionIndexPage.can_create_at(home)
        assert not BasesIndexPage.can_create_at(home)
        index = CompetitionIndexPage.objects.get()
        self.assertCanCreateAt(CompetitionIndexPage, CompetitionPage)
        assert index.get_parent().specific == home
        assert index.url == URL and index.live
        assert BasesIndexPage.objects.get().url == "/bases/"
        assert Page.objects.get(pk=home.pk).numchild == home.get_children().count()


# --- the list ------------------------------------------------------------------------------


def listed(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return [p.competition.name for p in response.context["competition_pages"]]


def test_the_list_shows_competitions_with_a_live_page_newest_first(client):
    old = CompetitionFactory(name="2025年大赛", year=2025)
    new = CompetitionFactory(name="2026年大赛", year=2026)
    hidden = CompetitionFactory(name="未发布页面的大赛")
    draft = CompetitionFactory(name="草稿大赛", status=CompetitionStatus.DRAFT)
    CompetitionFactory(name="没有页面的大赛")
    for competition in (old, new, draft):
        add_page(competition)
    add_page(hidden, live=False)

    assert listed(client) == ["2026年大赛", "2025年大赛"]
    body = text(client.get(URL))
    assert "2 项竞赛" in body and "草稿大赛" not in body


def test_year_and_level_filters_live_in_the_url(client):
    add_page(CompetitionFactory(name="省赛2025", year=2025))
    add_page(CompetitionFactory(name="省赛2026", year=2026))
    add_page(
        CompetitionFactory(
            name="市赛2026", year=2026, level=CompetitionLevel.PREFECTURE
        )
    )
    assert listed(client, year=2025) == ["省赛2025"]
    assert listed(client, year=2026, level="prefecture") == ["市赛2026"]
    assert sorted(listed(client, level="provincial")) == ["省赛2025", "省赛2026"]
    # An unknown year is reported and ignored, never an empty list.
    response = client.get(URL, {"year": "1999"})
    assert response.context["filter"].form.errors
    assert "部分筛选条件无效" in text(response)


def test_the_list_is_paginated(client):
    CompetitionIndexPage.per_page = 2
    try:
        for n in range(5):
            add_page(CompetitionFactory(name=f"大赛{n}", year=2020 + n))
        assert listed(client) == ["大赛4", "大赛3"]
        assert listed(client, page=3) == ["大赛0"]
        assert 'rel="next"' in text(client.get(URL))
    finally:
        CompetitionIndexPage.per_page = 20


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_3n_competitions(client):
    CompetitionIndexPage.per_page = 50
    try:
        for _ in range(3):
            add_page(CompetitionFactory())
        client.get(URL)
        few = count_queries(client, URL)
        for _ in range(6):
            add_page(CompetitionFactory())
        assert len(listed(client)) == 9
        assert count_queries(client, URL) == few
    finally:
        CompetitionIndexPage.per_page = 20


# --- one competition -------------------------------------------------------------------------


def test_the_page_shows_the_competition_and_its_events_from_the_records(client):
    competition = CompetitionFactory(
        name="第二届贵州技能大赛", venue="贵阳市观山湖区实训中心"
    )
    EventFactory(competition=competition, name="电工赛项", level=SkillLevel.LEVEL_3)
    EventFactory(
        competition=competition,
        name="数控团体赛",
        is_team=True,
        team_size=3,
        track="worldskills",
        group="employee",
        theory_weight=Decimal("20"),
        practical_weight=Decimal("80"),
    )
    page = add_page(competition)
    body = text(client.get(page.url))
    for fact in (
        "第二届贵州技能大赛",
        "省级",
        "一类",
        "2026",
        "贵州省人力资源和社会保障厅",
        "贵阳市观山湖区实训中心",
        "2026-03-01",
        "2026-04-30",
        "报名中",
        "电工赛项",
        "个人赛",
        "团体赛（每队 3 人）",
        "世赛选拔",
        "职工组",
        "理论 20% + 实操 80%",
        "比赛结果尚未公布",
    ):
        assert fact in body, fact
    # Editing the record changes the page: nothing was retyped into it.
    type(competition).objects.filter(pk=competition.pk).update(venue="遵义市实训基地")
    assert "遵义市实训基地" in text(client.get(page.url))


def test_results_are_read_from_the_published_version_with_certificate_links(client):
    competition = CompetitionFactory()
    event = EventFactory(competition=competition, name="电工赛项")
    winner = TraineeFactory(name="张三丰")
    second = TraineeFactory(name="李四")
    first_entry = competitor(event, people=[winner])
    second_entry = competitor(event, people=[second])
    version = publish(competition)
    result(version, second_entry, 2, award="二等奖", total="80.10")
    result(version, first_entry, 1, award="一等奖", total="91.25")
    outcome = certificate_outcome(version, first_entry, winner)
    revoked = certificate_outcome(version, second_entry, second, "二等奖", 2)
    Outcome.objects.filter(pk=revoked.pk).update(status=OutcomeStatus.REVOKED)
    page = add_page(competition)

    body = text(client.get(page.url))
    assert "张**" in body and "李*" in body
    assert "张三丰" not in body and "李四" not in body  # names masked
    assert body.index("91.25") < body.index("80.10")  # rank order
    assert "一等奖" in body and "二等奖" in body
    assert 'title="理论 80 × 30% + 实操 92 × 70% = 88.50"' in body
    verify = reverse("certificate_verify", args=[outcome.certificate.token])
    assert f'href="{verify}"' in body
    revoked_url = reverse("certificate_verify", args=[revoked.certificate.token])
    assert revoked_url not in body
    assert "更正" not in body
    # The certificate link leads to the verification page.
    assert client.get(verify).status_code == 200


def test_team_results_name_the_team_and_mask_its_members(client):
    competition = CompetitionFactory()
    event = EventFactory(competition=competition, is_team=True, team_size=2)
    people = [TraineeFactory(name="王小明"), TraineeFactory(name="赵六")]
    entry = competitor(event, people=people, team_name="遵义一队")
    version = publish(competition)
    result(version, entry, 1, award="金牌", worldskills=Decimal("712.00"))
    certificate_outcome(version, entry, people[1], "金牌")
    body = text(client.get(add_page(competition).url))
    assert "遵义一队" in body and "王**" in body and "赵*" in body
    assert "世赛标准分" in body and "712.00" in body
    assert "核验 赵* 的证书" in body


def test_a_correction_shows_a_dated_notice_and_the_corrected_results(client):
    competition = CompetitionFactory()
    event = EventFactory(competition=competition)
    entry = competitor(event)
    first = publish(competition)
    result(first, entry, 2, award="二等奖", total="70.00")
    when = timezone.make_aware(dt.datetime(2026, 7, 3, 10, 0))
    second = publish(competition, number=2, reason="复核理论成绩", published_at=when)
    result(second, entry, 1, award="一等奖", total="75.50")
    body = text(client.get(add_page(competition).url))
    assert "2026-07-03 更正：复核理论成绩" in body
    assert "75.50" in body and "70.00" not in body


def test_titles_and_promotions_are_listed(client):
    competition = CompetitionFactory()
    event = EventFactory(competition=competition, name="焊工赛项")
    person = TraineeFactory(name="陈大文")
    entry = competitor(event, people=[person])
    version = publish(competition)
    result(version, entry, 1, award="一等奖")
    common = {
        "competition": competition,
        "event": event,
        "trainee": person,
        "issued_in": version,
        "issued_on": dt.date(2026, 6, 20),
    }
    Outcome.objects.create(
        kind=OutcomeKind.TITLE,
        name="贵州省技术能手",
        document_no="黔人社函〔2026〕88号",
        **common,
    )
    Outcome.objects.create(
        kind=OutcomeKind.PROMOTION,
        name="晋升技师",
        from_level=SkillLevel.LEVEL_3,
        to_level=SkillLevel.LEVEL_2,
        **common,
    )
    body = text(client.get(add_page(competition).url))
    assert "授予荣誉称号" in body and "贵州省技术能手" in body
    assert "黔人社函〔2026〕88号" in body
    assert "技能等级晋升" in body and "三级/高级工 → 二级/技师" in body
    assert "陈**" in body and "陈大文" not in body


@pytest.mark.parametrize(
    "status", [CompetitionStatus.REGISTRATION, CompetitionStatus.SCORING]
)
def test_no_results_before_publication(client, status):
    competition = CompetitionFactory()
    entry = competitor(EventFactory(competition=competition))
    version = publish(competition)
    result(version, entry, 1, award="一等奖", total="99.99")
    type(competition).objects.filter(pk=competition.pk).update(status=status)
    competition.refresh_from_db()
    assert public_results(competition) is None
    body = text(client.get(add_page(competition).url))
    assert "99.99" not in body and "比赛结果尚未公布" in body


def test_a_draft_competition_has_no_public_page_but_previews(client):
    from django.contrib.auth import get_user_model

    competition = CompetitionFactory(
        status=CompetitionStatus.DRAFT, name="筹备中的大赛"
    )
    page = add_page(competition)
    assert client.get(page.url).status_code == 404
    assert "筹备中的大赛" not in text(client.get(URL))
    admin = get_user_model().objects.create_superuser("preview", password="x" * 12)
    client.force_login(admin)
    response = client.get(reverse("wagtailadmin_pages:view_draft", args=[page.id]))
    assert "筹备中的大赛" in text(response)
    # Once registration opens, the page answers.
    type(competition).objects.filter(pk=competition.pk).update(
        status=CompetitionStatus.REGISTRATION
    )
    assert client.get(page.url).status_code == 200


def test_a_page_shows_only_its_own_competitions_results(client):
    mine, other = CompetitionFactory(), CompetitionFactory()
    result(
        publish(other), competitor(EventFactory(competition=other)), 1, total="77.70"
    )
    result(publish(mine), competitor(EventFactory(competition=mine)), 1, total="66.60")
    body = text(client.get(add_page(mine).url))
    assert "66.60" in body and "77.70" not in body


def test_a_proposed_correction_is_not_shown(client):
    competition = CompetitionFactory()
    entry = competitor(EventFactory(competition=competition))
    version = publish(competition)
    result(version, entry, 1, total="60.00")
    proposed = ResultVersion.objects.create(
        competition=competition, number=2, status=VersionStatus.PROPOSED, reason="x"
    )
    result(proposed, entry, 1, total="99.00")
    body = text(client.get(add_page(competition).url))
    assert "60.00" in body and "99.00" not in body and "更正" not in body


def test_the_page_reads_in_english(client):
    competition = CompetitionFactory()
    entry = competitor(EventFactory(competition=competition))
    result(publish(competition), entry, 1, award="一等奖")
    page = add_page(competition)
    english(client)
    body = text(client.get(page.url))
    assert '<html lang="en">' in body
    assert "Results" in body and "Events" in body and "Registration" in body
    assert "比赛结果" not in body
    listing = text(client.get(URL))
    assert "1 competition" in listing and "Filters" in listing


def make_results(competition, events, per_event):
    version = ResultVersion.objects.filter(
        competition=competition, status=VersionStatus.PUBLISHED
    ).first() or publish(competition)
    for event in events:
        for rank in range(1, per_event + 1):
            person = TraineeFactory()
            entry = competitor(event, people=[person])
            result(version, entry, rank, award="优胜奖")
            certificate_outcome(version, entry, person, "优胜奖", rank)


def test_the_page_costs_the_same_queries_for_3n_events_and_entries(client):
    competition = CompetitionFactory()
    team = EventFactory(competition=competition, is_team=True, team_size=2)
    events = [EventFactory(competition=competition)]
    make_results(competition, events, 2)
    page = add_page(competition)
    client.get(page.url)
    few = count_queries(client, page.url)
    events += [EventFactory(competition=competition) for _ in range(2)]
    make_results(competition, events, 4)
    version = ResultVersion.objects.get(competition=competition)
    for rank in (1, 2):
        result(version, competitor(team), rank)
    many = count_queries(client, page.url)
    assert Result.objects.count() >= 3 * 2  # 2 rows in 1 event, then 16 in 4
    assert many == few


def test_competition_pages_cannot_be_copied(client):
    from django.contrib.auth import get_user_model

    page = add_page(CompetitionFactory())
    admin = get_user_model().objects.create_superuser("copyadmin", password="x" * 12)
    client.force_login(admin)
    response = client.post(
        reverse("wagtailadmin_pages:copy", args=[page.id]),
        {
            "new_title": "副本",
            "new_slug": "fu-ben",
            "new_parent_page": index_page().id,
        },
    )
    assert response.status_code == 302
    assert CompetitionPage.objects.count() == 1


def test_an_editor_creates_a_competition_page_in_the_admin(client):
    from django.contrib.auth import get_user_model
    from wagtail.test.utils.form_data import rich_text

    competition = CompetitionFactory(name="编辑新建的大赛")
    admin = get_user_model().objects.create_superuser("pageadmin", password="x" * 12)
    client.force_login(admin)
    add = reverse(
        "wagtailadmin_pages:add", args=["cms", "competitionpage", index_page().id]
    )
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {
            "title": "编辑新建的大赛",
            "slug": "bian-ji",
            "competition": competition.pk,
            "intro": rich_text("<p>欢迎报名。</p>"),
            "action-publish": "publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "编辑新建的大赛" in text(client.get(URL))


def test_the_demo_gives_every_public_competition_a_page_once(client):
    from demo.competition_pages import seed_competition_pages
    from demo.skips import SeedNotes

    shown = CompetitionFactory(name="演示大赛")
    CompetitionFactory(name="草稿演示", status=CompetitionStatus.DRAFT)
    add_page(CompetitionFactory(name="已有页面"))
    assert seed_competition_pages(SeedNotes()) == 1
    assert seed_competition_pages(SeedNotes()) == 0
    assert CompetitionPage.objects.get(competition=shown).live
    assert sorted(listed(client)) == ["已有页面", "演示大赛"]
