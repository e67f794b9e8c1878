from django.urls import path
from wagtail import hooks

from bases.viewsets import (
    InstitutionsGroup,
    base_targets_menu_item,
    base_targets_view,
    change_request_review,
    level_change_view,
    pending_changes_menu_item,
)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return InstitutionsGroup()


@hooks.register("register_institutions_menu_item")
def register_pending_changes():
    return pending_changes_menu_item()


@hooks.register("register_institutions_menu_item")
def register_base_targets():
    return base_targets_menu_item()


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "bases/change-request/<int:pk>/<slug:action>/",
            change_request_review,
            name="bases_change_request_review",
        ),
        path(
            "bases/base/<int:pk>/level/",
            level_change_view,
            {"what": "base"},
            name="bases_base_level_change",
        ),
        path(
            "bases/studio/<int:pk>/level/",
            level_change_view,
            {"what": "studio"},
            name="bases_studio_level_change",
        ),
        path("bases/targets/", base_targets_view, name="bases_targets"),
    ]


# --- c13-tok ---
@hooks.register("register_admin_urls")
def register_api_token_urls():
    from bases import token_views

    return [
        path("bases/tokens/", token_views.my_tokens, name="bases_my_api_tokens"),
        path(
            "bases/institution/<int:pk>/tokens/",
            token_views.token_list,
            name="bases_api_tokens",
        ),
        path(
            "bases/institution/<int:pk>/tokens/new/",
            token_views.token_new,
            name="bases_api_token_new",
        ),
        path(
            "bases/institution/<int:pk>/tokens/<int:token_pk>/revoke/",
            token_views.token_revoke,
            name="bases_api_token_revoke",
        ),
    ]


@hooks.register("register_institutions_menu_item")
def register_api_tokens_menu_item():
    from bases import token_views

    return token_views.tokens_menu_item()


# --- end c13-tok ---
