"""Wagtail's built-in reports (报告 menu), as this back-office serves them.

Wagtail's *site history* lists the edit-log entries of every model a user holds any
permission on, with no regard to rows: a bureau, an auditor or an institution saw every
trainee's name and id in the province, and who edited them. Its filters (users, types)
leak the same way. It knows nothing of :mod:`training_platform.access`, so it is for
administrators only; everyone else reads an object's history on that object's page,
which the scoped viewsets already limit to objects in scope.

The page reports (locked pages, workflows, workflow tasks, aging pages, page types
usage) list pages and page workflows only, under Wagtail's page permissions: editors keep
them, the other roles hold no page permission and are refused.

Every report's spreadsheet export neutralises text a spreadsheet would read as a formula
(``xlsx.neutralise``), as the ModelViewSet exports do.

These views replace Wagtail's at the same addresses: ``training_platform.urls`` lists
:data:`urlpatterns` under ``admin/reports/`` before Wagtail's admin.
"""

from functools import update_wrapper

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.reports.aging_pages import AgingPagesView
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.views.reports.locked_pages import LockedPagesView
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.admin.views.reports.workflows import WorkflowTasksView, WorkflowView

from training_platform.xlsx import neutralise

#: the Reports menu item Wagtail names ``site-history``
SITE_HISTORY_MENU_NAME = "site-history"


def may_see_site_history(user) -> bool:
    return bool(user and user.is_active and user.is_superuser)


class NeutralisedExportMixin:
    """CSV / XLSX cells and headings starting with = + - @ are kept as text."""

    def preprocess_field_value(self, field, value, export_format):
        return neutralise(super().preprocess_field_value(field, value, export_format))

    def get_heading(self, queryset, field):
        return neutralise(super().get_heading(queryset, field))


class SiteHistoryReport(NeutralisedExportMixin, LogEntriesView):
    def dispatch(self, request, *args, **kwargs):
        if not may_see_site_history(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class LockedPagesReport(NeutralisedExportMixin, LockedPagesView):
    pass


class WorkflowReport(NeutralisedExportMixin, WorkflowView):
    pass


class WorkflowTasksReport(NeutralisedExportMixin, WorkflowTasksView):
    pass


class AgingPagesReport(NeutralisedExportMixin, AgingPagesView):
    pass


class PageTypesUsageReport(NeutralisedExportMixin, PageTypesUsageReportView):
    pass


def _admin_view(view_class, **kwargs):
    # What Wagtail's admin URLconf wraps its own views in (view_class stays readable).
    view = never_cache(view_class.as_view(**kwargs))
    return update_wrapper(require_admin_access(view), view)


# Wagtail's paths (wagtail/admin/urls/reports.py), each with its results fragment.
_REPORTS = [
    ("locked/", LockedPagesReport),
    ("workflow/", WorkflowReport),
    ("workflow_tasks/", WorkflowTasksReport),
    ("site-history/", SiteHistoryReport),
    ("aging-pages/", AgingPagesReport),
    ("page-types-usage/", PageTypesUsageReport),
]

urlpatterns = [
    pattern
    for route, view_class in _REPORTS
    for pattern in (
        path(route, _admin_view(view_class)),
        path(f"{route}results/", _admin_view(view_class, results_only=True)),
    )
]


def hide_site_history(request, menu_items):
    """``construct_reports_menu`` hook: the site history only for administrators."""
    if not may_see_site_history(request.user):
        menu_items[:] = [i for i in menu_items if i.name != SITE_HISTORY_MENU_NAME]
