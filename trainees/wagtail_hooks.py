from django.urls import path
from wagtail import hooks

from trainees.views import trainee_reveal
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
        )
    ]
