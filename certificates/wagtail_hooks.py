from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from certificates import admin_views
from certificates.evaluation_import_views import (
    evaluation_import_urls,
    filed_organisations,
)
from certificates.viewsets import CertificatesGroup, evaluation_menu_item


@hooks.register("register_admin_viewset")
def register_viewsets():
    return CertificatesGroup()


@hooks.register("register_certificates_menu_item")
def register_evaluation_menu_item():
    return evaluation_menu_item()


class EvaluationImportMenuItem(MenuItem):
    """导入认定结果: for staff of an evaluation organisation filed to evaluate."""

    def is_shown(self, request):
        return bool(filed_organisations(request.user))


@hooks.register("register_certificates_menu_item")
def register_evaluation_import_menu_item():
    return EvaluationImportMenuItem(
        "导入认定结果",
        reverse("certificates_evaluation_upload"),
        name="certificates-evaluation-import",
        icon_name="upload",
        order=25,
    )


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "certificates/<int:pk>/revoke/",
            admin_views.certificate_action_view,
            {"action": "revoke"},
            name="certificates_revoke",
        ),
        path(
            "certificates/<int:pk>/reissue/",
            admin_views.certificate_action_view,
            {"action": "reissue"},
            name="certificates_reissue",
        ),
        path(
            "certificates/<int:pk>/certificate.pdf",
            admin_views.certificate_pdf_view,
            name="certificates_pdf",
        ),
        path(
            "certificates/<int:pk>/qr.png",
            admin_views.certificate_qr_view,
            name="certificates_qr",
        ),
        path(
            "certificates/class/<int:pk>/issue/",
            admin_views.class_issue_view,
            name="certificates_class_issue",
        ),
        path(
            "certificates/class/<int:pk>/certificates.pdf",
            admin_views.class_certificates_pdf_view,
            name="certificates_class_pdf",
        ),
        path(
            "certificates/batch/<int:pk>/",
            admin_views.batch_view,
            name="certificates_batch",
        ),
        path(
            "certificates/evaluate/",
            admin_views.evaluation_issue_view,
            name="certificates_evaluate",
        ),
        *evaluation_import_urls(),
    ]


# --- c14-scanner ---
# 核查记录 (the scanner's saved sessions): its viewset and menu item register themselves.
from certificates import scan_admin  # noqa: E402, F401

# --- end c14-scanner ---
