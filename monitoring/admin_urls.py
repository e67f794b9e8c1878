"""The monitoring back-office's own screens (namespace ``monitoring``, under
/admin/monitoring/). Each screen's module owns its block."""

from django.urls import path  # noqa: F401

app_name = "monitoring"
urlpatterns = []

# --- c13-dash ---
from monitoring import views  # noqa: E402

urlpatterns += [
    path("", views.dashboard_view, name="dashboard"),
    path("indicators/<slug:code>/", views.indicator_view, name="indicator"),
    path("export.xlsx", views.export_view, name="export"),
    path("records/", views.records_view, name="records"),
]
# --- end c13-dash ---
