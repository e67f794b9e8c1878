from django.urls import path
from wagtail import hooks

from trainees.admin_views import (
    activation_code_issue_view,
    trainee_record_pdf,
    trainee_record_xlsx,
    trainee_reveal,
)
from trainees.viewsets import TraineeViewSet


@hooks.register("register_admin_viewset")
def register_viewsets():
    return TraineeViewSet("trainees")


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "trainees/<int:pk>/reveal/<str:field>/",
            trainee_reveal,
            name="trainee_reveal",
        ),
        path(
            "trainees/<int:pk>/activation-code/",
            activation_code_issue_view,
            name="trainee_activation_code",
        ),
        path(
            "trainees/<int:pk>/record.pdf",
            trainee_record_pdf,
            name="trainee_record_pdf",
        ),
        path(
            "trainees/<int:pk>/record.xlsx",
            trainee_record_xlsx,
            name="trainee_record_xlsx",
        ),
    ]
