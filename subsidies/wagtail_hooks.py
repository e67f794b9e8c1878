from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

# --- 公示 (subsidies.notice_views) ------------------------------------------------------
from subsidies import notice_views


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


@hooks.register("register_admin_menu_item")
def register_notice_menu_item():
    return NoticeMenuItem(
        "补贴公示",
        reverse("subsidies_notice_rounds"),
        name="subsidies-notice",
        icon_name="date",
        order=420,
    )


# --- end 公示 --------------------------------------------------------------------------
