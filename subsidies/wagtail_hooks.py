"""Registrations only: the screens live in subsidies/viewsets*.py and their own modules."""

from wagtail import hooks

from subsidies.menu import SubsidiesGroup
from subsidies.viewsets import SubsidyStandardViewSet


@hooks.register("register_admin_viewset")
def register_subsidies_group():
    return SubsidiesGroup()


# --- 补贴标准 -----------------------------------------------------------------------------


@hooks.register("register_admin_viewset")
def register_standard_viewset():
    return SubsidyStandardViewSet()
