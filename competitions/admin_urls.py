"""The competitions back-office's own screens (namespace ``competitions``, under
/admin/competitions/). Each screen's module owns its block."""

from django.urls import path  # noqa: F401

app_name = "competitions"
urlpatterns = []

# --- management (c12-manage) ---
from competitions import manage_views  # noqa: E402

urlpatterns += [
    path("<int:pk>/", manage_views.detail_view, name="detail"),
    path(
        "<int:pk>/open-registration/",
        manage_views.open_registration_view,
        name="open_registration",
    ),
    path(
        "<int:pk>/start-scoring/",
        manage_views.start_scoring_view,
        name="start_scoring",
    ),
    path("events/<int:event_pk>/entries/", manage_views.entries_view, name="entries"),
    path(
        "entries/<int:entry_pk>/withdraw/",
        manage_views.withdraw_view,
        name="withdraw",
    ),
]
# --- end management ---

# --- scores (c12-scoring) ---
from competitions import score_views  # noqa: E402

urlpatterns += [
    path("events/<int:event_pk>/scores/", score_views.scores, name="scores"),
]
# --- end scores ---

# --- score import (c12-import) ---
from competitions.score_import_views import urlpatterns as _score_import  # noqa: E402

urlpatterns += _score_import
# --- end score import ---

# --- results, publishing and corrections (c12-publish) ---
from competitions import results_views  # noqa: E402

urlpatterns += [
    path("<int:pk>/results/", results_views.results_view, name="results"),
    path(
        "<int:pk>/results/publish/", results_views.publish_view, name="results_publish"
    ),
    path(
        "<int:pk>/results/correction/",
        results_views.propose_view,
        name="results_propose",
    ),
    path(
        "<int:pk>/results/correction/<int:version_pk>/approve/",
        results_views.approve_view,
        name="results_approve",
    ),
    path(
        "<int:pk>/results/correction/<int:version_pk>/reject/",
        results_views.reject_view,
        name="results_reject",
    ),
]
# --- end results ---
