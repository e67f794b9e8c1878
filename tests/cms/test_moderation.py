"""Editors' experience (issue 12, item 5): content editors draft and submit news, the
workflow 新闻审核 puts it live only once a 内容审核 reviewer approves, and a content editor
sees none of the platform's business screens."""

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu
from wagtail.models import GroupApprovalTask, Workflow
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    rich_text,
    streamfield,
)

from cms.models import NewsPage
from tests.cms.news_helpers import add_news, news_index
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EDITORS, REVIEWERS = "内容编辑", "内容审核"


def member_of(name, **kw):
    user = UserFactory(**kw)
    user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def editor():
    return member_of(EDITORS)


@pytest.fixture
def reviewer():
    return member_of(REVIEWERS)


def test_editors_write_and_reviewers_publish(editor, reviewer):
    index = news_index()
    for_editor = index.permissions_for_user(editor)
    assert for_editor.can_add_subpage()
    assert for_editor.can_edit()
    assert not for_editor.can_publish()
    assert not for_editor.can_publish_subpage()
    for_reviewer = index.permissions_for_user(reviewer)
    assert for_reviewer.can_publish()
    assert for_reviewer.can_publish_subpage()
    # Nowhere else either: the home page and the whole tree.
    assert not index.get_parent().permissions_for_user(editor).can_publish()
    for group in (EDITORS, REVIEWERS):
        assert (
            Group.objects.get(name=group)
            .permissions.filter(codename="access_admin")
            .exists()
        )


def test_news_goes_through_the_news_workflow(reviewer):
    workflow = Workflow.objects.get(name="新闻审核")
    assert workflow.active
    [task] = [task.specific for task in workflow.tasks]
    assert isinstance(task, GroupApprovalTask)
    assert list(task.groups.values_list("name", flat=True)) == [REVIEWERS]
    assert news_index().get_workflow() == workflow
    page = add_news("一条新闻")
    assert page.get_workflow() == workflow


def news_titles(client):
    return [page.title for page in client.get("/news/").context["news_items"]]


def _news_form(title, **extra):
    return nested_form_data(
        {
            "title": title,
            "slug": "",
            "date": "2026-11-30",
            "category": "training",
            "summary": "高压电工作业培训班开班。",
            "tags": "电工, 补贴",
            "listing_image": "",
            "body": streamfield(
                [
                    ("heading", "开班安排"),
                    ("paragraph", rich_text("<p>高压电工作业培训班下周开班。</p>")),
                ]
            ),
            "comments": inline_formset([]),
            **extra,
        }
    )


def test_an_editor_submits_a_reviewer_approves_and_it_is_listed(
    client, editor, reviewer
):
    index = news_index()
    client.force_login(editor)
    add_url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", index.pk))
    assert client.get(add_url).status_code == 200
    # An editor who asks to publish gets no publishing: nothing goes live.
    client.post(add_url, _news_form("想直接发布", **{"action-publish": "publish"}))
    assert not NewsPage.objects.filter(title="想直接发布", live=True).exists()

    response = client.post(
        add_url, _news_form("电工培训班开班", **{"action-submit": "submit"})
    )
    assert response.status_code == 302, response.context["form"].errors
    page = NewsPage.objects.get(title="电工培训班开班")
    assert page.slug == "dian-gong-pei-xun-ban-kai-ban"
    assert not page.live
    assert page.workflow_in_progress
    state = page.current_workflow_state
    assert state.workflow.name == "新闻审核"
    assert news_titles(client) == []

    task_state = state.current_task_state
    approve = reverse(
        "wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)
    )
    # The editor cannot approve their own news (Wagtail answers with a redirect home).
    refused = client.post(approve, {"comment": ""})
    assert refused.status_code in (302, 403)
    assert refused.headers.get("Location", "/admin/") == "/admin/"
    page.refresh_from_db()
    assert not page.live

    client.force_login(reviewer)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.post(approve, {"comment": "同意发布"}).status_code == 302
    page.refresh_from_db()
    assert page.live
    assert not page.workflow_in_progress
    client.logout()
    assert news_titles(client) == ["电工培训班开班"]
    detail = client.get(page.url).content.decode()
    assert "高压电工作业培训班下周开班" in detail
    assert set(page.tags.names()) == {"电工", "补贴"}


def test_a_reviewer_can_send_news_back(client, editor, reviewer):
    client.force_login(editor)
    add_url = reverse(
        "wagtailadmin_pages:add", args=("cms", "newspage", news_index().pk)
    )
    client.post(add_url, _news_form("待修改的新闻", **{"action-submit": "submit"}))
    page = NewsPage.objects.get(title="待修改的新闻")
    task_state = page.current_workflow_state.current_task_state
    client.force_login(reviewer)
    reject = reverse(
        "wagtailadmin_pages:workflow_action", args=(page.pk, "reject", task_state.pk)
    )
    assert client.post(reject, {"comment": "请补充报名方式"}).status_code == 302
    page.refresh_from_db()
    assert not page.live
    assert page.current_workflow_state.status == "needs_changes"


def _visible_menu(user) -> set[str]:
    request = RequestFactory().get("/admin/")
    request.user = user

    def names(items):
        for item in items:
            yield item.name
            submenu = getattr(item, "menu", None)
            if submenu is not None:
                yield from names(submenu.menu_items_for_request(request))

    return set(names(admin_menu.menu_items_for_request(request)))


# Wagtail's own content menu: what an editor works with, and nothing of the platform.
CONTENT_MENU = {
    "explorer",
    "images",
    "documents",
    "help",
    "reports",
    "locked-pages",
    "aging-pages",
    "page-types-usage",
    "workflows",
    "workflow-tasks",
}


def test_a_content_editor_sees_no_business_screens(client, editor):
    client.force_login(editor)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    visible = _visible_menu(editor)
    assert {"explorer", "images", "documents"} <= visible
    leaked = {name for name in visible - CONTENT_MENU if not name.startswith("help")}
    assert not leaked, leaked
    body = response.content.decode()
    for label in ("培训机构", "学员档案", "补贴申请", "证书"):
        assert f'"label": "{label}"' not in body
    # The same editor with a superuser's menu would see them: the check can fail.
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert _visible_menu(admin) - CONTENT_MENU
