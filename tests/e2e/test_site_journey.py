"""The public site of issue 12 in a real headless Chromium, on a 390 px phone and a
desktop: a visitor goes from the home page to a news item, then to a competition's
published results and from an award certificate's link to its verification page; and a
news item written in the Wagtail admin by a content editor goes live only once a
reviewer approves it there."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from cms.models import CompetitionIndexPage, CompetitionPage, NewsCategory, NewsPage
from competitions import results
from competitions.models import Outcome, OutcomeKind
from tests.cms.news_helpers import add_news, news_index, paragraph
from tests.competitions.publishing import bureau, person, scored_competition
from tests.e2e.conftest import DESKTOP, document_width, screenshot, sign_in
from tests.factories import PASSWORD, UserFactory
from trainees.models import Trainee

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WINNER = "韦小芳"  # shown masked as 韦**
NEWS_TITLE = "2026年全省职业技能大赛成绩公布"
NEWS_BODY = "本届大赛共设电工、中式烹调两个赛项，获奖选手名单见竞赛页面。"


def build_site():
    """A published competition (results frozen, award certificates issued) with its
    live page under /competitions/, and a live news item under /news/."""
    scored = scored_competition(people=4, teams=2)
    winner = person(scored.entries[0])
    Trainee.objects.filter(pk=winner.pk).update(name=WINNER)
    results.results_publish(actor=bureau(), competition=scored.competition)
    page = CompetitionPage(
        title=scored.competition.name,
        slug=f"c-{scored.competition.pk}",
        competition=scored.competition,
    )
    CompetitionIndexPage.objects.get().add_child(instance=page)
    page.save_revision().publish()
    add_news(
        NEWS_TITLE,
        category=NewsCategory.COMPETITION,
        summary="大赛成绩已经公布。",
        body=[paragraph(NEWS_BODY)],
    )
    certificate = Outcome.objects.get(
        kind=OutcomeKind.CERTIFICATE, event=scored.event, trainee=winner
    ).certificate
    return scored, certificate


def lines(locator) -> int:
    """How many lines the element's text takes."""
    return locator.evaluate(
        """el => { const range = document.createRange(); range.selectNodeContents(el);
                   return new Set([...range.getClientRects()].map(r => r.top)).size; }"""
    )


@pytest.mark.parametrize("device", ["phone_page", "desktop_page"])
def test_a_visitor_reads_the_news_and_checks_a_winners_certificate(
    live_server, reference, request, device
):
    scored, certificate = build_site()
    page = request.getfixturevalue(device)
    size = device.split("_")[0]
    base = live_server.url

    page.goto(base + "/")
    expect(page.get_by_role("heading", name="最新动态")).to_be_visible()
    expect(page.locator("#latest-news ~ ul").get_by_text(NEWS_TITLE)).to_be_visible()
    screenshot(page, f"site-1-home-{size}")

    # The header menu's news link leads to /news/, and the item to its page.
    page.locator('nav[aria-label="主导航"] a[href="/news/"]').click()
    page.wait_for_url(base + "/news/")
    expect(page.locator("#results-heading")).to_contain_text("共 1 条新闻")
    screenshot(page, f"site-2-news-{size}")
    page.get_by_role("link", name=NEWS_TITLE).click()
    page.wait_for_url(re.compile(r"/news/.+/$"))
    expect(page.get_by_role("heading", name=NEWS_TITLE, level=1)).to_be_visible()
    expect(page.get_by_text(NEWS_BODY)).to_be_visible()
    screenshot(page, f"site-3-news-item-{size}")

    # /competitions/ lists the competition; its page shows the published results.
    page.locator('nav[aria-label="主导航"] a[href="/competitions/"]').click()
    page.wait_for_url(base + "/competitions/")
    name = scored.competition.name
    page.get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(r"/competitions/c-\d+/$"))
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    table = page.get_by_role("table", name=scored.event.name)
    first = table.locator("tbody tr").first
    headers = table.locator("thead th").all_inner_texts()
    cells = first.locator("td")
    expect(cells.nth(headers.index("名次"))).to_have_text("1")
    expect(cells.nth(headers.index("选手"))).to_have_text("韦**")
    expect(cells.nth(headers.index("奖项"))).to_have_text("一等奖")
    expect(page.get_by_text(WINNER)).to_have_count(0)
    first.scroll_into_view_if_needed()
    screenshot(page, f"site-4-competition-{size}")
    # Headings and marks read on one line each (the table scrolls in its own box at
    # 390 px), and the page itself does not scroll sideways.
    for cell in (
        table.locator("thead th").nth(headers.index("名次")),
        cells.nth(headers.index("总成绩")),
    ):
        assert lines(cell) == 1, cell.inner_text()
    assert document_width(page) <= page.viewport_size["width"]

    # The winner's award certificate link opens its verification page: valid.
    first.get_by_role("link", name="核验证书").click()
    page.wait_for_url(base + reverse("certificate_verify", args=[certificate.token]))
    expect(page.locator("[data-status=valid]")).to_have_text("有效")
    expect(page.get_by_text(certificate.number)).to_be_visible()
    screenshot(page, f"site-5-verify-{size}")


EDITORS, REVIEWERS = "内容编辑", "内容审核"
DRAFT_TITLE = "高压电工作业培训班开班"
DRAFT_BODY = "高压电工作业培训班下周一在贵阳开班，欢迎报名。"


def member_of(group, username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


def admin_page(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, username, PASSWORD)
    page.wait_for_url(live_server.url + "/admin/")
    return page


def open_action_menu(page):
    """The footer's action menu: its default button and a toggle for the others."""
    page.locator(".w-dropdown-button [data-w-dropdown-target=toggle]").first.click()
    # Tippy fades the menu in; click its items once it has settled.
    expect(page.locator(".tippy-box[data-state=visible]")).to_be_visible()


def test_an_editor_drafts_news_a_reviewer_approves_it_and_it_goes_live(
    live_server, reference, browser, settings
):
    # Wagtail's autosave (every 500 ms) saves the form in the background and turns the
    # create view into the edit view; a click on 提交 or 批准 while one is under way is
    # taken as a plain save. People pause longer than that; the test does not, so it
    # works as the form did before autosave.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    member_of(EDITORS, "editor_e2e")
    member_of(REVIEWERS, "reviewer_e2e")
    index = news_index()
    base = live_server.url

    # The editor writes the item in the Wagtail admin and submits it to review.
    editor = admin_page(browser, live_server, "editor_e2e")
    editor.goto(
        base + reverse("wagtailadmin_pages:add", args=("cms", "newspage", index.pk))
    )
    editor.locator("#id_title").fill(DRAFT_TITLE)
    editor.locator("#id_category").select_option(NewsCategory.TRAINING)
    editor.locator("#id_summary").fill("高压电工作业培训班开班。")
    screenshot(editor, "site-6-editor-form")
    # The body: one paragraph, from the StreamField's block chooser.
    editor.locator("[data-streamfield-stream-container] button").first.click()
    editor.get_by_role("option", name="段落").click()
    text = editor.locator("[data-streamfield-stream-container] [contenteditable=true]")
    text.click()
    editor.keyboard.type(DRAFT_BODY)
    expect(text).to_contain_text(DRAFT_BODY)
    # Draftail writes its hidden input a moment after the last keystroke.
    expect(editor.locator("input[name=body-0-value]")).to_have_value(
        re.compile(DRAFT_BODY)
    )
    screenshot(editor, "site-6-editor-form")
    open_action_menu(editor)
    submit = editor.locator("button[name=action-submit]")
    expect(submit).to_be_visible()
    screenshot(editor, "site-7-editor-submit")
    submit.click()
    # Back to the news index in the explorer, with the item awaiting review.
    editor.wait_for_url(base + reverse("wagtailadmin_explore", args=[index.pk]))
    screenshot(editor, "site-8-editor-submitted")
    draft = NewsPage.objects.get(title=DRAFT_TITLE)
    assert not draft.live
    assert draft.current_workflow_state.workflow.name == "新闻审核"
    editor.context.close()

    # Not public yet: /news/ does not list it and its address answers 404.
    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(base + "/news/")
    expect(visitor.locator("#results-heading")).to_contain_text("共 0 条新闻")
    expect(visitor.get_by_text(DRAFT_TITLE)).to_have_count(0)

    # The reviewer approves it from the page's edit view.
    reviewer = admin_page(browser, live_server, "reviewer_e2e")
    screenshot(reviewer, "site-9-reviewer-dashboard")
    # The dashboard lists it as awaiting review; its title opens the edit view.
    awaiting = reviewer.locator("#awaiting-review-section")
    awaiting.get_by_role("link", name=DRAFT_TITLE).click()
    reviewer.wait_for_url(base + reverse("wagtailadmin_pages:edit", args=[draft.pk]))
    open_action_menu(reviewer)
    approve = reviewer.locator(
        "button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])"
    )
    expect(approve).to_be_visible()
    screenshot(reviewer, "site-10-reviewer-approve")
    approve.click()
    reviewer.wait_for_url(base + reverse("wagtailadmin_explore", args=[index.pk]))
    screenshot(reviewer, "site-11-reviewer-approved")
    draft.refresh_from_db()
    assert draft.live
    assert not draft.workflow_in_progress

    # Now the visitor finds it at /news/ and reads it.
    visitor.goto(base + "/news/")
    expect(visitor.locator("#results-heading")).to_contain_text("共 1 条新闻")
    visitor.get_by_role("link", name=DRAFT_TITLE).click()
    visitor.wait_for_url(base + draft.url)
    expect(visitor.get_by_text(DRAFT_BODY)).to_be_visible()
    screenshot(visitor, "site-12-news-live")
