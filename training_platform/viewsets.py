"""Back-office building blocks: Wagtail ModelViewSets whose every view goes through access.

Lists show ``access.visible`` rows only; object views answer 404 for a row outside the
user's scope, and 403 when the row is visible but not changeable; choice fields offer only
rows (and regions) the user may assign.
"""

import tempfile
from collections import OrderedDict

from django import forms
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import FileResponse, StreamingHttpResponse
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.coreutils import multigetattr
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from training_platform import access
from training_platform.display import DisplayColumn, display_value
from training_platform.errors import error_text
from training_platform.reference.models import Region
from training_platform.roles import Role
from training_platform.xlsx import ILLEGAL_CHARACTERS, XLSX_CONTENT_TYPE, neutralise


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """Model permissions from the role groups, narrowed to rows by ``access``."""

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        if action in ("view", "inspect"):
            return access.can_view(user, instance)
        return access.can_change(user, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        if set(actions) <= {"view", "inspect"}:
            return access.visible(user, self.model)
        return access.changeable(user, self.model)


def limit_form_choices(form, user):
    """Offer only rows the user may see; bureau staff place records only in their region.

    Other roles keep every region: an institution may hold a class in any county (the
    bureau there approves it).
    """
    scope = access.scope_for(user)
    for field in form.fields.values():
        if not isinstance(field, forms.ModelChoiceField):
            continue
        model = field.queryset.model
        if model is Region:
            if scope.has(Role.BUREAU) and not scope.is_superuser:
                query = Q(pk__in=[])
                for prefix in scope.region_prefixes(Role.BUREAU):
                    query |= Q(code__startswith=prefix)
                field.queryset = field.queryset.filter(query)
        elif access.has_rules(model):
            field.queryset = access.visible(user, field.queryset)


class ScopedObjectMixin:
    """Object views: 404 outside the user's scope, 403 if visible but not changeable."""

    needs_change = False

    def get_object(self, queryset=None):
        obj = access.get_visible_or_404(
            self.request.user, self.model, pk=self._scoped_pk()
        )
        if self.needs_change and not access.can_change(self.request.user, obj):
            raise PermissionDenied
        return obj

    def _scoped_pk(self):
        from django.contrib.admin.utils import unquote

        return unquote(str(self.kwargs.get("pk")))


class ScopedFormMixin:
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        limit_form_choices(form, self.request.user)
        return form


def export_value(item, accessor):
    """The value a list export shows for ``accessor`` (a dotted path) on ``item``.

    A choice field gives its label (“已开班”, not ``open``); anything else is what
    Wagtail's ``multigetattr`` finds. A missing relation on the way gives ``None``.
    """
    *path, name = accessor.split(".")
    owner = item
    for bit in path:
        owner = multigetattr(owner, bit)
        if owner is None:
            return None
    if isinstance(owner, models.Model):
        try:
            field = owner._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is not None and field.choices and field.concrete:
            return owner._get_FIELD_display(field)
    return multigetattr(owner, name)


class _ExportRows:
    """An export's queryset, read in chunks so a large list never sits in memory whole."""

    chunk_size = 2000

    def __init__(self, queryset):
        self.queryset = queryset
        self.model = queryset.model

    def __iter__(self):
        return self.queryset.iterator(chunk_size=self.chunk_size)


class ScopedIndexView(generic.IndexView):
    """The list of ``access.visible`` rows, and its CSV / XLSX export (``?export=``).

    Exports run over the same scoped, filtered and searched queryset as the list, read
    in chunks; CSV streams, XLSX is written row by row to a spooled temporary file.
    Every text cell (and heading) that a spreadsheet would take for a formula is
    neutralised (``xlsx.neutralise``); choice fields export their labels and booleans
    “是”/“否”.
    """

    list_select_related = ()
    #: XLSX exports larger than this are spooled to disk instead of memory
    export_spool_bytes = 8 * 1024 * 1024

    @cached_property
    def columns(self):
        """Plain columns show "—" for nothing and 是/否 for booleans; columns of their own
        class (status badges, links) render as they choose."""
        columns = super().columns
        for column in columns:
            if type(column) is Column:
                column.__class__ = DisplayColumn
                column.empty_value_display = DisplayColumn.empty_value_display
        return columns

    def get_base_queryset(self):
        queryset = access.visible(self.request.user, super().get_base_queryset())
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def get(self, request, *args, **kwargs):
        if self.is_export:
            # Skip the listing's context (it would load every row to count them).
            return self.as_spreadsheet(
                _ExportRows(self.get_queryset()), request.GET.get("export")
            )
        return super().get(request, *args, **kwargs)

    # --- export: values ---------------------------------------------------------------

    def to_row_dict(self, item):
        return OrderedDict(
            (field, export_value(item, field)) for field in self.list_export
        )

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, bool):
            value = "是" if value else "否"
        value = super().preprocess_field_value(field, value, export_format)
        if isinstance(value, str):
            if export_format == self.FORMAT_XLSX:
                value = ILLEGAL_CHARACTERS.sub("", value)
            value = neutralise(value)
        return value

    def get_heading(self, queryset, field):
        return neutralise(super().get_heading(queryset, field))

    # --- export: responses ------------------------------------------------------------

    def stream_csv(self, queryset):
        yield "\ufeff"  # BOM: Excel reads the file as UTF-8 (Chinese text intact)
        yield from super().stream_csv(queryset)

    def write_csv_response(self, queryset):
        response = StreamingHttpResponse(
            self.stream_csv(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(
            True, f"{self.get_filename()}.csv"
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def write_xlsx_response(self, queryset):
        output = tempfile.SpooledTemporaryFile(max_size=self.export_spool_bytes)  # noqa: SIM115 - FileResponse closes it
        self.write_xlsx(queryset, output)
        output.seek(0)
        response = FileResponse(
            output,
            as_attachment=True,
            content_type=XLSX_CONTENT_TYPE,
            filename=f"{self.get_filename()}.xlsx",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class BureauMenuItem(MenuItem):
    """A menu entry for bureau staff (and administrators) only, e.g. a list of what
    waits for their approval."""

    def is_shown(self, request):
        scope = access.scope_for(request.user)
        return scope.is_superuser or scope.has(Role.BUREAU)


class ServiceErrorsMixin:
    """Show a service's refusal on the form instead of failing the request."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    field = name if name in form.fields else None
                    form.add_error(field, ValidationError(errors))
            else:
                form.add_error(None, exc)
        except PermissionDenied as exc:
            form.add_error(None, error_text(exc))
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


class ScopedCreateView(ScopedFormMixin, generic.CreateView):
    pass


class ScopedEditView(ScopedObjectMixin, ScopedFormMixin, generic.EditView):
    needs_change = True


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    needs_change = True


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    def get_object(self, queryset=None):
        self.kwargs.setdefault("pk", self.pk)
        return super().get_object(queryset)

    def get_field_display_value(self, field_name, field):
        """Never a raw value: "—" for nothing, 是/否 for booleans (display.display_value)."""
        return display_value(super().get_field_display_value(field_name, field))


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ScopedModelViewSet(ModelViewSet):
    """A ModelViewSet whose views and permission policy are narrowed by ``access``."""

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    copy_view_enabled = False
    inspect_view_enabled = True
    search_backend_name = None

    #: relations the list shows, fetched with the rows (constant queries per page)
    list_select_related = ()

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            list_select_related=self.list_select_related, **kwargs
        )

    def register_permissions(self):
        if policy_registry.get_by_type(self.model, fallback=False) is None:
            register_permission_policy(
                self.model, ScopedPermissionPolicy(self.model), exact_class=True
            )
        super().register_permissions()
