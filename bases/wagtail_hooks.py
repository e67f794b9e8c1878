from django.urls import path
from wagtail import hooks

from bases.viewsets import (
    InstitutionsGroup,
    change_request_review,
    pending_changes_menu_item,
)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return InstitutionsGroup()


@hooks.register("register_institutions_menu_item")
def register_pending_changes():
    return pending_changes_menu_item()


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "bases/change-request/<int:pk>/<slug:action>/",
            change_request_review,
            name="bases_change_request_review",
        ),
    ]
