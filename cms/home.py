"""What waits on the back-office home for the site's editors (training_platform/home.py).

People who may edit pages: pages in moderation (a workflow in progress) and the pages
edited most recently, by anyone. Wagtail's own "awaiting your review" panel (with its
approve and reject buttons) stays beside these (training_platform.home).
"""

from django.urls import reverse
from django.utils import timezone
from wagtail.admin.auth import user_has_any_page_permission
from wagtail.models import Page, WorkflowState

from training_platform.home import (
    ORDER_DECISIONS,
    ORDER_WORK,
    ROWS_SHOWN,
    HomePanel,
    HomeRow,
    HomeSection,
)


def _who(user) -> str:
    if user is None:
        return "—"
    return (user.last_name + user.first_name) or user.get_username()


def editor_panels(request) -> list[HomePanel]:
    if not user_has_any_page_permission(request.user):
        return []
    in_moderation = WorkflowState.objects.active().filter(
        base_content_type__app_label="wagtailcore",
        base_content_type__model="page",
    )
    count = in_moderation.count()
    states = (
        list(
            in_moderation.select_related(
                "requested_by", "current_task_state__task"
            ).order_by("created_at", "pk")[:ROWS_SHOWN]
        )
        if count
        else []
    )
    pages = Page.objects.in_bulk([int(s.object_id) for s in states])
    moderation_rows = [
        HomeRow(
            label=pages[int(s.object_id)].title,
            url=reverse("wagtailadmin_pages:edit", args=[int(s.object_id)]),
            detail=(
                f"{_who(s.requested_by)} 于 "
                f"{timezone.localtime(s.created_at):%Y-%m-%d %H:%M} 提交"
                + (
                    f" · 当前环节：{s.current_task_state.task.name}"
                    if s.current_task_state
                    else ""
                )
            ),
            action="审核",
        )
        for s in states
        if int(s.object_id) in pages
    ]
    edited = Page.objects.filter(depth__gt=1, latest_revision_created_at__isnull=False)
    edited_count = edited.count()
    recent = (
        edited.select_related("latest_revision__user").order_by(
            "-latest_revision_created_at", "-pk"
        )[:ROWS_SHOWN]
        if edited_count
        else []
    )
    recent_rows = [
        HomeRow(
            label=page.title,
            url=reverse("wagtailadmin_pages:edit", args=[page.pk]),
            detail=(
                f"{_who(page.latest_revision.user if page.latest_revision else None)}"
                f" 于 {timezone.localtime(page.latest_revision_created_at):%Y-%m-%d %H:%M}"
                " 编辑" + ("" if page.live else " · 未发布")
            ),
        )
        for page in recent
    ]
    return [
        HomePanel(
            key="editor-moderation",
            heading="审核中的页面",
            sections=[HomeSection("审核中", count, moderation_rows, measure="个页面")],
            measure="个页面",
            empty="没有审核中的页面。",
            order=ORDER_DECISIONS,
        ),
        HomePanel(
            key="editor-recent",
            heading="最近编辑的页面",
            sections=[
                HomeSection("最近编辑", edited_count, recent_rows, measure="个页面")
            ],
            measure="个页面",
            empty="还没有编辑过的页面。",
            order=ORDER_WORK,
            links=[("页面管理", reverse("wagtailadmin_explore_root"))],
        ),
    ]
