"""职业技能竞赛 screens: the list, the form with events and rules, the competition page
and the entries page; who sees, who acts, and 404 for everyone else."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions import manage_views
from competitions.home import managed_competitions_panel
from competitions.models import (
    Competition,
    CompetitionStatus,
    Entry,
    Registration,
)
from tests.factories import (
    CompetitionFactory,
    EventFactory,
    InstitutionFactory,
    TraineeFactory,
    UserFactory,
    competitor,
    employee_award_rules,
    region,
    staff_user,
)
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

INDEX = "competition:index"


def province():
    return staff_user(Role.BUREAU, region_code="520000")


def zunyi():
    return staff_user(Role.BUREAU, region_code="520300")


def auditor():
    return staff_user(Role.AUDITOR, region_code="520000")


def organiser_of(competition):
    """Staff of an institution, named on the competition (no bureau role of their own)."""
    user = staff_user(
        Role.INSTITUTION,
        institution=InstitutionFactory(),
        first_name="芳",
        last_name="刘",
    )
    competition.organisers.add(user)
    return user


def signed_in(client, user):
    client.force_login(user)
    return client


def denied(response) -> bool:
    return response.status_code in (403, 404) or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


# --- the menu and the list ----------------------------------------------------------


def _menu_shown(client, user) -> bool:
    signed_in(client, user)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    return reverse(INDEX) in page


def test_menu_shown_only_to_bureau_auditor_organisers_and_superusers(client):
    competition = CompetitionFactory()
    assert _menu_shown(client, province())
    assert _menu_shown(client, auditor())
    assert _menu_shown(client, organiser_of(competition))
    assert _menu_shown(client, UserFactory(is_superuser=True, is_staff=True))
    institution = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    assert not _menu_shown(client, institution)
    assert client.get(reverse(INDEX)).status_code in (302, 403)


def test_list_shows_what_the_user_may_see(client):
    provincial = CompetitionFactory(name="省赛甲")
    local = CompetitionFactory(name="遵义市赛乙", region=region("520300"))
    signed_in(client, zunyi())
    page = client.get(reverse(INDEX)).content.decode()
    assert local.name in page and provincial.name not in page
    assert reverse("competitions:detail", args=[local.pk]) in page
    signed_in(client, organiser_of(provincial))
    page = client.get(reverse(INDEX)).content.decode()
    assert provincial.name in page and local.name not in page


def test_list_filters_by_year_level_and_status(client):
    CompetitionFactory(name="二〇二五年赛", year=2025)
    CompetitionFactory(name="草稿赛", status=CompetitionStatus.DRAFT)
    signed_in(client, province())
    page = client.get(reverse(INDEX), {"year": "2025"}).content.decode()
    assert "二〇二五年赛" in page and "草稿赛" not in page
    page = client.get(reverse(INDEX), {"status": "draft"}).content.decode()
    assert "草稿赛" in page and "二〇二五年赛" not in page
    page = client.get(reverse(INDEX), {"level": "national"}).content.decode()
    assert "草稿赛" not in page


def _list_queries(client, rows: int) -> int:
    for _ in range(rows):
        event = EventFactory()
        competitor(event)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(INDEX))
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(client):
    signed_in(client, province())
    few = _list_queries(client, 2)
    many = _list_queries(client, 6)
    assert Competition.objects.count() == 8
    assert many == few


# --- the form -----------------------------------------------------------------------


def _formset(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
        data[f"{prefix}-{i}-ORDER"] = str(i + 1)
    return data


def form_data(**changes):
    data = {
        "name": "遵义市第二届职业技能大赛",
        "level": "prefecture",
        "category": "2",
        "year": "2026",
        "region": "520300",
        "organiser": "遵义市人力资源和社会保障局",
        "venue": "遵义职业技术学院",
        "registration_opens": "2026-03-01",
        "registration_closes": "2026-04-30",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-02",
        "description": "",
    }
    data.update(
        _formset(
            "events",
            [
                {
                    "name": "电工",
                    "occupation": "6-31-01-03",
                    "level": "3",
                    "team_size": "1",
                    "track": "provincial",
                    "group": "open",
                    "theory_weight": "30",
                    "practical_weight": "70",
                    "judge_method": "mean",
                    "judge_spread": "10",
                    "tie_break_practical": "on",
                    "sort_order": "0",
                }
            ],
        )
    )
    data.update(
        _formset(
            "award_rules",
            [{"sort_order": "0", "name": "一等奖", "count": "1", "certificate": "on"}],
        )
    )
    data.update(_formset("title_rules", []))
    data.update(_formset("promotion_rules", []))
    data.update(changes)
    return data


def test_bureau_creates_a_competition_with_its_events_and_rules(client):
    signed_in(client, zunyi())
    assert client.get(reverse("competition:add")).status_code == 200
    response = client.post(reverse("competition:add"), form_data())
    competition = Competition.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("competitions:detail", args=[competition.pk])
    assert competition.status == CompetitionStatus.DRAFT
    assert [e.name for e in competition.events.all()] == ["电工"]
    assert [r.name for r in competition.award_rules.all()] == ["一等奖"]


def test_bureau_may_not_create_in_another_region(client):
    signed_in(client, zunyi())
    response = client.post(reverse("competition:add"), form_data(region="520100"))
    assert response.status_code == 200
    assert not Competition.objects.exists()


def test_auditor_and_organiser_may_not_create(client):
    competition = CompetitionFactory()
    for user in (auditor(), organiser_of(competition)):
        signed_in(client, user)
        assert denied(client.get(reverse("competition:add")))


def test_edit_allowed_and_denied(client):
    competition = CompetitionFactory()
    url = reverse("competition:edit", args=[competition.pk])
    signed_in(client, province())
    assert client.get(url).status_code == 200
    signed_in(client, organiser_of(competition))
    assert client.get(url).status_code == 200
    signed_in(client, auditor())
    assert denied(client.get(url))
    signed_in(client, zunyi())
    assert denied(client.get(url))
    other = CompetitionFactory()
    signed_in(client, organiser_of(other))
    assert denied(client.get(url))


def test_an_event_with_entries_is_not_deleted_from_the_form(client):
    competition = CompetitionFactory(region=region("520300"))
    event = EventFactory(competition=competition, name="电工")
    competitor(event)
    signed_in(client, zunyi())
    data = form_data()
    data.update(
        {
            "events-INITIAL_FORMS": "1",
            "events-0-id": str(event.pk),
            "events-0-DELETE": "on",
        }
    )
    response = client.post(reverse("competition:edit", args=[competition.pk]), data)
    assert response.status_code == 200
    assert "已有报名，不能删除" in response.content.decode()
    assert Entry.objects.filter(event=event).exists()


# --- the competition page -------------------------------------------------------------


def detail(competition):
    return reverse("competitions:detail", args=[competition.pk])


def test_competition_page_allowed_and_404(client):
    competition = CompetitionFactory()
    EventFactory(competition=competition, name="焊工赛项")
    for user in (province(), auditor(), organiser_of(competition)):
        signed_in(client, user)
        response = client.get(detail(competition))
        assert response.status_code == 200
        assert "焊工赛项" in response.content.decode()
    for user in (zunyi(), organiser_of(CompetitionFactory())):
        signed_in(client, user)
        assert client.get(detail(competition)).status_code == 404


def test_auditor_reads_but_has_no_steps(client):
    competition = CompetitionFactory(status=CompetitionStatus.DRAFT)
    signed_in(client, auditor())
    page = client.get(detail(competition)).content.decode()
    assert "step-open-registration" not in page
    assert "您可以查看本竞赛，不能办理。" in page
    response = client.post(
        reverse("competitions:open_registration", args=[competition.pk]),
        {"confirmed": "1"},
    )
    assert denied(response)
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.DRAFT


def test_open_registration_disabled_with_reason_then_confirmed(client):
    competition = CompetitionFactory(status=CompetitionStatus.DRAFT)
    signed_in(client, organiser_of(competition))
    page = client.get(detail(competition)).content.decode()
    assert 'id="step-open-registration" disabled' in page
    assert "还没有设置赛项" in page
    EventFactory(competition=competition)
    employee_award_rules(competition)
    page = client.get(detail(competition)).content.decode()
    assert 'id="step-open-registration" disabled' not in page
    url = reverse("competitions:open_registration", args=[competition.pk])
    asked = client.post(url)
    assert asked.status_code == 200 and "确认开放报名" in asked.content.decode()
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.DRAFT
    done = client.post(url, {"confirmed": "1"})
    assert done.status_code == 302
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.REGISTRATION


def test_start_scoring_shows_score_links_when_installed(client):
    competition = CompetitionFactory()
    event = EventFactory(competition=competition)
    competitor(event)
    signed_in(client, province())
    client.post(
        reverse("competitions:start_scoring", args=[competition.pk]),
        {"confirmed": "1"},
    )
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.SCORING
    page = client.get(detail(competition)).content.decode()
    for name, arg in (
        ("competitions:scores", event.pk),
        ("competitions:score_import", event.pk),
        ("competitions:results", competition.pk),
    ):
        url = manage_views.optional_url(name, arg)
        if url:
            assert url in page


def test_optional_url_is_none_for_a_missing_screen():
    assert manage_views.optional_url("competitions:no_such_screen", 1) is None


# --- entries ------------------------------------------------------------------------


def entries(event):
    return reverse("competitions:entries", args=[event.pk])


def test_entries_page_registers_by_id_number(client):
    event = EventFactory()
    person = TraineeFactory(name="王小明")
    signed_in(client, organiser_of(event.competition))
    response = client.post(
        entries(event),
        {"id_numbers": person.id_number, "delegation_region": "520100"},
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.number == "001"
    page = client.get(entries(event)).content.decode()
    assert "王**" in page and "王小明" not in page
    assert "共 1 条" in page
    assert person.id_number not in page


def test_entries_page_says_who_is_registered_twice(client):
    event = EventFactory()
    person = TraineeFactory(name="李四")
    competitor(event, people=[person])
    signed_in(client, province())
    response = client.post(
        entries(event),
        {"id_numbers": person.id_number, "delegation_region": "520100"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "李*" in page and "只能报名一次" in page
    assert Registration.objects.count() == 1


def test_entries_page_team_size_and_unknown_numbers(client):
    event = EventFactory(is_team=True, team_size=2)
    signed_in(client, province())
    one = TraineeFactory()
    page = client.post(
        entries(event),
        {"id_numbers": one.id_number, "delegation_region": "520100", "team_name": "甲"},
    ).content.decode()
    assert "每队 2 人" in page
    page = client.post(
        entries(event),
        {"id_numbers": "110101199003077777", "delegation_region": "520100"},
    ).content.decode()
    assert "没有这些身份证号的人员" in page
    assert not Entry.objects.exists()


def test_entries_page_allowed_and_denied(client):
    event = EventFactory()
    competitor(event)
    signed_in(client, auditor())
    page = client.get(entries(event)).content.decode()
    assert "entry-register" not in page
    assert denied(
        client.post(entries(event), {"id_numbers": "x", "delegation_region": "520100"})
    )
    for user in (zunyi(), organiser_of(CompetitionFactory())):
        signed_in(client, user)
        assert client.get(entries(event)).status_code == 404


def test_no_registration_form_outside_registration(client):
    event = EventFactory(competition=CompetitionFactory(status=CompetitionStatus.DRAFT))
    signed_in(client, province())
    page = client.get(entries(event)).content.decode()
    assert 'id="entry-register"' not in page
    assert "现在不能报名" in page


def test_withdraw_asks_first(client):
    event = EventFactory()
    entry = competitor(event)
    signed_in(client, province())
    url = reverse("competitions:withdraw", args=[entry.pk])
    assert "确认退赛" in client.post(url).content.decode()
    assert Entry.objects.filter(pk=entry.pk).exists()
    client.post(url, {"confirmed": "1"})
    assert not Entry.objects.filter(pk=entry.pk).exists()
    other = competitor(event)
    signed_in(client, zunyi())
    assert client.post(url.replace(str(entry.pk), str(other.pk))).status_code == 404


def _entries_queries(client, event, rows: int) -> int:
    for _ in range(rows):
        competitor(event)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(entries(event)).status_code == 200
    return len(queries)


def test_entries_query_count_does_not_grow_with_rows(client):
    event = EventFactory(is_team=True, team_size=2)
    signed_in(client, province())
    few = _entries_queries(client, event, 2)
    many = _entries_queries(client, event, 6)
    assert many == few


# --- home ---------------------------------------------------------------------------


def test_home_panel_lists_managed_competitions_in_registration_and_scoring():
    mine = CompetitionFactory(name="我的竞赛")
    CompetitionFactory(name="草稿竞赛", status=CompetitionStatus.DRAFT)
    CompetitionFactory(name="别人的竞赛")
    user = staff_user(Role.INSTITUTION, institution=InstitutionFactory())
    mine.organisers.add(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    [panel] = managed_competitions_panel(request)
    labels = [row.label for s in panel.sections for row in s.rows]
    assert labels == ["我的竞赛"]
    request.user = auditor()
    assert managed_competitions_panel(request) == []


# --- words --------------------------------------------------------------------------


def test_every_management_page_speaks_chinese(client):
    """The demo has no competition in every state, so the language walk's checks run
    here on each page with data in it."""
    from tests.training_platform.test_language_walk import (
        english_words,
        raw_values,
        visible_text,
    )

    draft = CompetitionFactory(status=CompetitionStatus.DRAFT)
    EventFactory(competition=draft)
    open_ = CompetitionFactory()
    team = EventFactory(competition=open_, is_team=True, team_size=2)
    competitor(team)
    scoring = CompetitionFactory(status=CompetitionStatus.SCORING)
    single = EventFactory(competition=scoring)
    competitor(single)
    employee_award_rules(scoring)
    pages = [
        reverse(INDEX),
        reverse(INDEX) + "?status=draft&level=provincial&year=2026",
        reverse("competition:add"),
        reverse("competition:edit", args=[draft.pk]),
        reverse("competition:inspect", args=[draft.pk]),
        detail(draft),
        detail(open_),
        detail(scoring),
        entries(team),
        entries(single),
        reverse("wagtailadmin_home"),
    ]
    seen = 0
    bureau = province()
    for user in (bureau, organiser_of(scoring)):
        signed_in(client, user)
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                assert user != bureau, url  # the bureau opens every page
                continue
            seen += 1
            text = visible_text(response.content.decode())
            assert not english_words(text), (url, english_words(text))
            assert not raw_values(text), (url, raw_values(text))
    assert seen >= len(pages) + 4  # the organiser: its list, competition, entries, home


def test_after_publication_score_links_stay_for_a_correction_until_one_is_proposed(
    client,
):
    from competitions import results
    from tests.competitions.publishing import scored_competition, set_marks

    scored = scored_competition(people=4, teams=2)
    bureau = province()
    results.results_publish(actor=bureau, competition=scored.competition)
    scores = reverse("competitions:scores", args=[scored.event.pk])
    signed_in(client, bureau)
    assert scores in client.get(detail(scored.competition)).content.decode()
    set_marks(scored.entries[0], 10, 10)
    results.correction_propose(
        actor=bureau, competition=scored.competition, reason="录入错误"
    )
    # while the correction waits for its second approver, the scores are frozen
    assert scores not in client.get(detail(scored.competition)).content.decode()
