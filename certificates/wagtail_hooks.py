from django.urls import path
from wagtail import hooks

from certificates import admin_views
from certificates.evaluation_import_views import evaluation_import_urls
from certificates.viewsets import CertificatesGroup, evaluation_menu_item


@hooks.register("register_admin_viewset")
def register_viewsets():
    return CertificatesGroup()


@hooks.register("register_certificates_menu_item")
def register_evaluation_menu_item():
    return evaluation_menu_item()


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
