"""Site search that works for Chinese (issue 12 item 4): 电工 finds 高压电工作业."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Page

from cms.models import CourseIndexPage, CoursePage, HomePage, StandardPage
from cms.search import ngrams, query_terms
from tests.factories import CourseFactory, TrainingClassFactory

pytestmark = pytest.mark.django_db

URL = "/search/"


def home() -> HomePage:
    return HomePage.objects.get()


def add_page(title, text, *, parent=None, live=True, **fields) -> StandardPage:
    page = StandardPage(
        title=title,
        intro=f"<p>{text}</p>",
        body=[("paragraph", f"<p>{text}</p>")] if text else [],
        **fields,
    )
    (parent or home()).add_child(instance=page)
    if live:
        page.save_revision().publish()
    else:
        page.unpublish()
    return page


def titles(client, query, **params) -> list[str]:
    response = client.get(URL, {"q": query, **params})
    assert response.status_code == 200
    return [hit.title for hit in response.context["hits"]]


def test_ngrams_and_query_terms():
    assert ngrams("高压电工作业 safety") == (
        " 高 压 电 工 作 业 高压 压电 电工 工作 作业  safety"
    )
    assert query_terms("电工") == ["电工"]
    assert query_terms("电工作") == ["电工", "工作"]
    assert query_terms("电") == ["电"]
    assert query_terms("Electrician 安全") == ["electrician", "安全"]
    assert query_terms("  ，。 ") == []


def test_a_chinese_word_inside_a_longer_run_is_found(client):
    add_page("关于开展特种作业培训的通知", "本期开设高压电工作业和焊接与热切割作业。")
    add_page("育婴员培训", "面向家政服务人员。")
    assert titles(client, "电工") == ["关于开展特种作业培训的通知"]
    assert titles(client, "电工作业") == ["关于开展特种作业培训的通知"]
    assert titles(client, "热切割") == ["关于开展特种作业培训的通知"]


def test_a_single_character_is_found(client):
    add_page("关于开展特种作业培训的通知", "本期开设高压电工作业。")
    add_page("育婴员培训", "面向家政服务人员。")
    assert titles(client, "电") == ["关于开展特种作业培训的通知"]
    assert titles(client, "婴") == ["育婴员培训"]


def test_english_words_are_found_whole(client):
    add_page("Electrician training", "Courses for electricians in Guiyang.")
    add_page("育婴员培训", "面向家政服务人员。")
    assert titles(client, "electrician") == ["Electrician training"]
    assert titles(client, "Guiyang") == ["Electrician training"]


def test_no_match_shows_an_empty_state(client):
    add_page("育婴员培训", "面向家政服务人员。")
    response = client.get(URL, {"q": "电工"})
    body = response.content.decode()
    assert response.context["hits"] == []
    assert "没有找到与“电工”相关的内容" in body
    empty = client.get(URL).content.decode()
    assert "输入关键词" in empty


def test_results_show_type_snippet_and_link_and_are_paginated(client):
    for n in range(12):
        add_page(f"电工通知{n}", "关于高压电工作业考核的安排，请各单位按时报名。")
    response = client.get(URL, {"q": "电工"})
    body = response.content.decode()
    assert response.context["page_obj"].paginator.count == 12
    assert len(response.context["hits"]) == 10
    hit = response.context["hits"][0]
    assert hit.kind == "页面"
    assert "高压电工作业" in hit.snippet
    assert f'<a href="{hit.url}">{hit.title}</a>' in body
    assert 'rel="next"' in body
    assert len(titles(client, "电工", page=2)) == 2


def test_drafts_and_private_pages_are_not_found(client):
    add_page("草稿电工", "高压电工作业", live=False)
    assert titles(client, "电工") == []


def test_course_pages_and_open_classes_are_found_by_name(client):
    course = CourseFactory(title="高压电工作业培训班项目")
    page = CoursePage(title="高压电工作业", slug="gaoya", course=course)
    CourseIndexPage.objects.get().add_child(instance=page)
    TrainingClassFactory(course=course, code="T-2026-9001")
    response = client.get(URL, {"q": "电工"})
    hits = response.context["hits"]
    assert [(h.title, h.kind) for h in hits] == [("高压电工作业", "课程")]
    assert [c.code for c in response.context["classes"]] == ["T-2026-9001"]
    assert response.context["classes"][0].page_url == page.url


def test_a_page_published_after_the_index_is_built_is_found(client):
    call_command("update_index", verbosity=0)
    assert titles(client, "电工") == []
    add_page("新发布的通知", "高压电工作业复审安排")
    assert titles(client, "电工") == ["新发布的通知"]
    # An edit is indexed on publish too.
    page = Page.objects.get(title="新发布的通知").specific
    page.body = [("paragraph", "<p>育婴员培训安排</p>")]
    page.intro = ""
    page.save_revision().publish()
    assert titles(client, "电工") == []
    assert titles(client, "育婴") == ["新发布的通知"]
    call_command("update_index", verbosity=0)
    assert titles(client, "育婴") == ["新发布的通知"]


def test_search_renders_in_english(client):
    add_page("关于开展特种作业培训的通知", "本期开设高压电工作业。")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(URL, {"q": "电工"}).content.decode()
    assert '<html lang="en">' in body
    assert "Site search" in body
    assert "关于开展特种作业培训的通知" in body


def test_header_has_a_search_box(client):
    body = client.get("/").content.decode()
    assert '<form method="get" action="/search/" role="search"' in body


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"q": "电工"})
    return len(queries)


def test_query_count_does_not_grow_with_results(client):
    for n in range(3):
        add_page(f"电工通知{n}", "高压电工作业")
        TrainingClassFactory(course=CourseFactory(title=f"电工培训{n}"))
    client.get(URL, {"q": "电工"})
    few = _queries(client)
    for n in range(3, 9):
        add_page(f"电工通知{n}", "高压电工作业")
        TrainingClassFactory(course=CourseFactory(title=f"电工培训{n}"))
    assert _queries(client) == few


def test_a_news_page_whose_body_says_gaoya_diangong_zuoye_is_found(client):
    from tests.cms.news_helpers import add_news, paragraph

    add_news(
        "特种作业复审通知",
        body=[paragraph("本月组织高压电工作业人员复审。")],
        summary="复审安排",
    )
    add_news("育婴员培训开班", summary="家政服务")
    response = client.get(URL, {"q": "电工"})
    assert [(h.title, h.kind) for h in response.context["hits"]] == [
        ("特种作业复审通知", "新闻")
    ]
    assert "高压电工作业" in response.context["hits"][0].snippet or (
        response.context["hits"][0].snippet == "复审安排"
    )


def test_a_competition_page_is_found_by_its_competition_name(client):
    from cms.models import CompetitionIndexPage
    from cms.models import CompetitionPage as competition_page
    from tests.factories import CompetitionFactory

    index = CompetitionIndexPage.objects.get()
    competition = CompetitionFactory(name="贵州省电工职业技能大赛")
    page = competition_page(title="全省大赛", slug="dasai", competition=competition)
    index.add_child(instance=page)
    page.save_revision().publish()
    hits = client.get(URL, {"q": "电工"}).context["hits"]
    assert [(h.title, h.kind) for h in hits] == [("全省大赛", "竞赛")]
