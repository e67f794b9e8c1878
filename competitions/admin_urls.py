"""The competitions back-office's own screens (namespace ``competitions``, under
/admin/competitions/). Each screen's module owns its block."""

from django.urls import path  # noqa: F401

app_name = "competitions"
urlpatterns = []

# --- management (c12-manage) ---
# --- end management ---

# --- scores (c12-scoring) ---
from competitions import score_views  # noqa: E402

urlpatterns += [
    path("events/<int:event_pk>/scores/", score_views.scores, name="scores"),
]
# --- end scores ---

# --- score import (c12-import) ---
# --- end score import ---

# --- results, publishing and corrections (c12-publish) ---
# --- end results ---
