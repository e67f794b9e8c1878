"""Registrations only: the screens live in subsidies/viewsets*.py and their own modules."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from subsidies import (
    analytics_views,
    batch_views,
    filing_views,
    notice_views,
    policies,
    review_views,
)
from subsidies.menu import SUBSIDIES_MENU_HOOK, SubsidiesGroup
from subsidies.viewsets import SubsidyStandardViewSet
from subsidies.viewsets_filing import FiledClaimsMenuItem, FiledClaimViewSet


@hooks.register("register_admin_viewset")
def register_subsidies_group():
    return SubsidiesGroup()


# --- 补贴标准 -----------------------------------------------------------------------------


@hooks.register("register_admin_viewset")
def register_standard_viewset():
    return SubsidyStandardViewSet()


# --- review (s11-review) ---------------------------------------------------------------


class RegionalMenuItem(MenuItem):
    """审核, 公示, 拨付, 异常, 统计: bureaus and auditors (institutions have 本机构补贴申领)."""

    def is_shown(self, request):
        return policies.is_regional_reader(request.user)


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_review_menu_item():
    return RegionalMenuItem(
        "补贴审核",
        reverse("subsidies_review_queue"),
        name="subsidies-review",
        icon_name="tasks",
        order=10,
    )


@hooks.register("register_admin_urls")
def register_review_urls():
    return [
        path(
            "subsidies/review/", review_views.queue_view, name="subsidies_review_queue"
        ),
        path(
            "subsidies/review/export.xlsx",
            review_views.export_view,
            name="subsidies_review_export",
        ),
        path(
            "subsidies/review/<int:pk>/",
            review_views.claim_view,
            name="subsidies_claim_review",
        ),
        path(
            "subsidies/review/<int:pk>/step/<str:to>/",
            review_views.claim_step_view,
            name="subsidies_claim_step",
        ),
        path(
            "subsidies/review/bulk/",
            review_views.approval_prepare_view,
            name="subsidies_approval_prepare",
        ),
        path(
            "subsidies/review/lists/",
            review_views.approval_lists_view,
            name="subsidies_approval_lists",
        ),
        path(
            "subsidies/review/lists/<int:pk>/",
            review_views.approval_list_view,
            name="subsidies_approval_list",
        ),
    ]


# --- end review ------------------------------------------------------------------------


# --- analytics: 补贴异常, 补贴统计 (bureaus and auditors) ------------------------------------


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_anomalies_menu_item():
    return RegionalMenuItem(
        "补贴异常",
        reverse("subsidies_anomalies"),
        name="subsidies-anomalies",
        icon_name="warning",
        order=60,
    )


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_totals_menu_item():
    return RegionalMenuItem(
        "补贴统计",
        reverse("subsidies_totals"),
        name="subsidies-totals",
        icon_name="table",
        order=70,
    )


@hooks.register("register_admin_urls")
def register_analytics_urls():
    return [
        path(
            "subsidies/anomalies/",
            analytics_views.anomalies_view,
            name="subsidies_anomalies",
        ),
        path(
            "subsidies/anomalies/<slug:slug>.xlsx",
            analytics_views.anomalies_export_view,
            name="subsidies_anomalies_export",
        ),
        path("subsidies/totals/", analytics_views.totals_view, name="subsidies_totals"),
        path(
            "subsidies/totals.xlsx",
            analytics_views.totals_export_view,
            name="subsidies_totals_export",
        ),
    ]


# --- 公示 (subsidies.notice_views) ------------------------------------------------------


@hooks.register("register_admin_urls")
def register_notice_urls():
    return [
        path(
            "subsidies/notice/",
            notice_views.rounds_index,
            name="subsidies_notice_rounds",
        ),
        path(
            "subsidies/notice/publish/",
            notice_views.round_publish,
            name="subsidies_notice_publish",
        ),
        path(
            "subsidies/notice/<int:pk>/",
            notice_views.round_detail,
            name="subsidies_notice_round",
        ),
        path(
            "subsidies/notice/objection/<int:pk>/",
            notice_views.objection_answer_view,
            name="subsidies_notice_objection",
        ),
    ]


class NoticeMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("subsidies.view_noticeround")


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_notice_menu_item():
    return NoticeMenuItem(
        "补贴公示",
        reverse("subsidies_notice_rounds"),
        name="subsidies-notice",
        icon_name="date",
        order=30,
    )


# --- end 公示 --------------------------------------------------------------------------


# --- filing (s11-filing) ---------------------------------------------------------------


@hooks.register("register_admin_viewset")
def register_filed_claims_viewset():
    return FiledClaimViewSet()


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_filed_claims_menu_item():
    return FiledClaimsMenuItem(
        "本机构补贴申领",
        reverse("filed_claims:index"),
        name="filed-claims",
        icon_name="form",
        order=20,
    )


@hooks.register("register_admin_urls")
def register_filing_urls():
    return [
        path(
            "subsidies/class/<int:pk>/file/",
            filing_views.class_filing_view,
            name="subsidies_class_filing",
        ),
    ]


# --- end filing ------------------------------------------------------------------------


# --- 拨付批次 (subsidies/batch_views.py) -------------------------------------------------


@hooks.register(SUBSIDIES_MENU_HOOK)
def register_batch_menu_item():
    return RegionalMenuItem(
        "拨付批次",
        reverse("subsidies_batches"),
        name="subsidies-batches",
        icon_name="list-ul",
        order=40,
    )


@hooks.register("register_admin_urls")
def register_batch_urls():
    return batch_views.batch_urls()
