"""Back-office screens for trainee records: masked by default, revealed by permission.

An ID number is looked up through a POST form (按身份证号查找), never through the list's
search box: a GET search would put the number in the address, the browser's history and
the access log. The search box refuses one, and says where to go instead.
"""

import django_filters
from django import forms
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton

from trainees.forms import TraineeCreateForm, TraineeEditForm
from trainees.models import Education, Sex, Trainee
from trainees.policies import activation_code_issuable
from trainees.records import record_for
from trainees.selectors import trainee_find_by_id_number
from training_platform import access
from training_platform.filters import RegionFilter
from training_platform.redact import holds_id_or_account_number
from training_platform.reference.models import KeyGroup
from training_platform.validators import ValidationError, normalize, parse_id_number
from training_platform.viewsets import (
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
)


class TraineeFilterSet(WagtailFilterSet):
    region = RegionFilter(
        label="户籍地或常住地",
        field_names=("household_region__code", "residence_region__code"),
    )
    sex = django_filters.ChoiceFilter(label="性别", choices=Sex.choices)
    education = django_filters.ChoiceFilter(label="文化程度", choices=Education.choices)
    key_group = django_filters.ModelChoiceFilter(
        label="重点群体",
        field_name="key_group_memberships__group",
        queryset=KeyGroup.objects.all(),
        distinct=True,
    )

    class Meta:
        model = Trainee
        fields = []


ID_SEARCH_HINT = (
    "为保护个人信息，搜索框不按身份证号码查找（号码会留在网址和浏览记录中）。"
    "请点击右上方“按身份证号查找”，在那里输入号码。"
)


class TraineeIndexView(ScopedIndexView):
    find_url_name = None

    @cached_property
    def id_number_in_query(self) -> bool:
        """The search box holds an ID (or account) number: it is neither used nor shown."""
        return holds_id_or_account_number(self.request.GET.get(self.search_kwarg, ""))

    def get_search_form(self):
        if self.is_searchable and self.id_number_in_query:
            return SearchForm()  # the number is not written back into the page
        return super().get_search_form()

    def search_queryset(self, queryset):
        """By name, or by phone number; never by ID number (see the module docstring)."""
        if self.id_number_in_query:
            return queryset.none()
        if not self.is_searching:
            return queryset
        text = normalize(self.search_query)
        if text.isdigit():
            return queryset.filter(phone__contains=text)
        return queryset.filter(name__contains=text)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.id_number_in_query:
            context["is_searching"] = True  # an empty list shows the hint below
        return context

    @cached_property
    def no_results_message(self):
        if self.id_number_in_query:
            return ID_SEARCH_HINT
        return super().no_results_message

    def get_export_url(self, format):
        url = super().get_export_url(format)
        if not self.id_number_in_query:
            return url
        params = self.request.GET.copy()
        params.pop(self.search_kwarg, None)
        params["export"] = format
        return self.request.path + "?" + params.urlencode()

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.find_url_name:
            buttons.append(
                HeaderButton(
                    "按身份证号查找",
                    url=reverse(self.find_url_name),
                    icon_name="search",
                )
            )
        return buttons


class _NoEchoInput(forms.TextInput):
    """A text box that is never filled back in: what was typed stays out of the page."""

    def format_value(self, value):
        return None


class IdNumberLookupForm(forms.Form):
    id_number = forms.CharField(
        label="身份证号码",
        max_length=40,
        widget=_NoEchoInput(attrs={"autocomplete": "off"}),
        help_text="输入完整的18位身份证号码；号码不会出现在网址或日志中。",
        error_messages={"required": "请输入身份证号码。"},
    )

    def clean_id_number(self):
        try:
            typed = normalize(self.cleaned_data["id_number"]).replace("-", "")
            return parse_id_number(typed).number
        except ValidationError:
            raise forms.ValidationError(
                "身份证号码格式不正确，请核对后重新输入。"
            ) from None


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("id_number"), name="dispatch")
class TraineeFindView(PermissionCheckedMixin, View):
    """按身份证号查找: the number goes in a POST body; the answer is the record's page."""

    model = Trainee
    permission_required = "view"
    template_name = "trainees/admin/trainee_find.html"
    index_url_name = None
    inspect_url_name = None
    not_found = "未找到该身份证号码的学员，或该学员不在您的管辖范围内。"

    def get(self, request):
        return self.render(IdNumberLookupForm())

    def post(self, request):
        form = IdNumberLookupForm(request.POST)
        if form.is_valid():
            trainee = trainee_find_by_id_number(
                form.cleaned_data["id_number"],
                access.visible(request.user, Trainee),
            )
            if trainee is not None:
                return redirect(self.inspect_url_name, trainee.pk)
            form.add_error("id_number", self.not_found)
        return self.render(form)

    def render(self, form):
        return TemplateResponse(
            self.request,
            self.template_name,
            {"form": form, "index_url": reverse(self.index_url_name)},
        )


class TraineeInspectView(ScopedInspectView):
    template_name = "trainees/admin/trainee_inspect.html"
    # Only what cannot rebuild the ID number with its mask: the birth year and age
    # band, never the birth date or region of issue (tests/trainees/test_id_reconstruction.py).
    FIELD_LABELS = {
        "masked_id_number": "身份证号码",
        "age_band": "年龄段",
        "masked_phone": "手机号码",
        "masked_bank_account": "银行账号",
    }

    def get_field_label(self, field_name, field):
        if field_name in self.FIELD_LABELS:
            return self.FIELD_LABELS[field_name]
        return super().get_field_label(field_name, field)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_reveal"] = self.request.user.has_perm("trainees.reveal_pii")
        context["can_issue_activation_code"] = (
            self.object.user_id is None
            and activation_code_issuable(self.request.user)
            .filter(pk=self.object.pk)
            .exists()
        )
        context["key_groups"] = self.object.key_group_memberships.select_related(
            "group"
        )
        # The lifetime record as at /me/record/, scoped to what this user may see.
        context["record_items"] = record_for(
            self.object, viewer=self.request.user
        ).in_time_order()
        return context


class TraineeViewSet(ScopedModelViewSet):
    model = Trainee
    icon = "user"
    menu_label = "学员档案"
    menu_order = 220
    add_to_admin_menu = True
    index_view_class = TraineeIndexView
    inspect_view_class = TraineeInspectView
    filterset_class = TraineeFilterSet
    search_fields = ["name"]  # see TraineeIndexView.search_queryset
    list_display = [
        "name",
        Column("masked_id_number", label="身份证号码"),
        "sex",
        "birth_year",
        "household_region",
        Column("masked_phone", label="手机号码"),
        Column("account_status", label="账号"),
    ]
    list_select_related = ["household_region"]
    list_export = [
        "name",
        "masked_id_number",
        "sex",
        "birth_year",
        "household_region",
        "masked_phone",
        "education",
        "account_status",
        "claimed_at",
    ]
    # Only the masked forms: plain ID numbers and phones never leave in a file.
    export_headings = {
        "masked_id_number": "身份证号码",
        "masked_phone": "手机号码",
        "household_region": "户籍地",
        "account_status": "账号",
        "claimed_at": "认领时间",
    }
    export_filename = "学员档案"
    inspect_view_fields = [
        "name",
        "masked_id_number",
        "sex",
        "birth_year",
        "age_band",
        "masked_phone",
        "household_region",
        "residence_region",
        "education",
        "masked_bank_account",
        "account_status",
        "claimed_at",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return TraineeEditForm if for_update else TraineeCreateForm

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            find_url_name=self.get_url_name("find"), **kwargs
        )

    @property
    def find_view(self):
        return self.construct_view(
            TraineeFindView, inspect_url_name=self.get_url_name("inspect")
        )

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("find/", self.find_view, name="find")]
