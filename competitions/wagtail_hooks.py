"""Registrations only: the screens live in competitions/*_views.py and viewsets.py."""

from django.urls import include, path
from wagtail import hooks

from competitions import admin_urls


@hooks.register("register_admin_urls")
def register_competitions_urls():
    return [path("competitions/", include(admin_urls, namespace="competitions"))]


# --- management (c12-manage) ---
@hooks.register("register_admin_viewset")
def register_competition_viewset():
    from competitions.viewsets import CompetitionViewSet

    return CompetitionViewSet()


# --- end management ---
