"""统计报送 back-office addresses, mounted at /admin/monitoring/reported/
(``monitoring.wagtail_hooks``); namespace ``monitoring_reported``."""

from django.urls import path

from monitoring import reported_views

app_name = "monitoring_reported"

urlpatterns = [
    path("", reported_views.figure_list, name="list"),
    path("new/", reported_views.figure_new, name="new"),
    path("<int:pk>/", reported_views.figure_detail, name="detail"),
    path("<int:pk>/approve/", reported_views.figure_approve, name="approve"),
    path("<int:pk>/reject/", reported_views.figure_reject, name="reject"),
]
