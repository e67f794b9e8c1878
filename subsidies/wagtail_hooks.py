"""Registrations only: the screens live in subsidies/viewsets*.py and their own modules."""

from django.urls import path, reverse
from wagtail import hooks

from subsidies.menu import SUBSIDIES_MENU_HOOK, SubsidiesGroup
from subsidies.viewsets import SubsidyStandardViewSet


@hooks.register("register_admin_viewset")
def register_subsidies_group():
    return SubsidiesGroup()


# --- 补贴标准 -----------------------------------------------------------------------------


@hooks.register("register_admin_viewset")
def register_standard_viewset():
    return SubsidyStandardViewSet()


# --- filing (s11-filing) ---------------------------------------------------------------
from subsidies import filing_views  # noqa: E402
from subsidies.viewsets_filing import (  # noqa: E402
    FiledClaimsMenuItem,
    FiledClaimViewSet,
)


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
