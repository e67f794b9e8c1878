"""Back-office screens for institutions, training bases, studios and staff memberships."""

import functools
from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ViewSetGroup
from wagtail.permissions import policy_registry, register_permission_policy

from bases import policies, selectors, services
from bases.models import (
    ApprovalLevel,
    ChangeRequestFiling,
    ChangeRequestStatus,
    InstitutionChangeRequest,
    InstitutionKind,
    SkillMasterStudio,
    StaffMembership,
    TrainingBase,
    TrainingInstitution,
)
from bases.services import membership_grant
from training_platform import access, confirm
from training_platform.errors import error_text
from training_platform.filters import RegionFilter
from training_platform.reference.models import Occupation, Region, SkillLevel
from training_platform.roles import Role
from training_platform.viewsets import (
    BureauMenuItem,
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    ScopedPermissionPolicy,
    ServiceErrorsMixin,
)


class InstitutionFilterSet(WagtailFilterSet):
    region = RegionFilter()

    class Meta:
        model = TrainingInstitution
        fields = ["kind", "status"]


class QualificationForm(WagtailAdminModelForm):
    """The bureau's form: everything, plus why a qualification changes (for the audit)."""

    qualification_reason = forms.CharField(
        label="资质变更说明",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="认定、暂停或撤销资质时填写，记入审计记录。",
    )


IDENTITY_PANELS = [
    FieldPanel("name"),
    FieldPanel("credit_code"),
    FieldRowPanel([FieldPanel("kind"), FieldPanel("region")]),
]
CONTACT_PANELS = [
    FieldPanel("address"),
    FieldRowPanel([FieldPanel("contact_name"), FieldPanel("contact_phone")]),
]


REVIEWER_FORM = ObjectList(
    [
        *IDENTITY_PANELS,
        *CONTACT_PANELS,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("status"), FieldPanel("approved_at")]),
                FieldPanel("qualification_reason"),
            ],
            heading="资质认定",
        ),
        InlinePanel("filings", heading="备案职业", label="备案职业"),
    ],
    base_form_class=QualificationForm,
)


STAFF_FORM = ObjectList(
    [
        HelpPanel(
            "机构名称、统一社会信用代码、机构类型、所在地和备案职业的变更，"
            "请在机构详情页点击“申请变更机构信息”，经所在地人社部门审核后生效。"
        ),
        *CONTACT_PANELS,
    ]
)


@functools.cache
def institution_panel(reviewer: bool):
    """The form a role gets: a field it may not change is not in it at all (a hidden
    field would still be posted, and still be required)."""
    if not reviewer:
        return STAFF_FORM.bind_to_model(TrainingInstitution)
    return REVIEWER_FORM.bind_to_model(TrainingInstitution)


def filing_rows(form) -> list[dict] | None:
    """The filings an institution form asks for, or None if it has no filings."""
    formset = getattr(form, "formsets", {}).get("filings")
    if formset is None:
        return None
    rows = []
    for child in formset.forms:
        data = getattr(child, "cleaned_data", None)
        if not data or data.get("DELETE") or not data.get("occupation"):
            continue
        rows.append({name: data.get(name) for name in services.FILING_FIELDS})
    return rows


class RolePanelMixin:
    """Build the form from the panel this user's role gets for this row."""

    def role_panel(self):
        raise NotImplementedError

    def get_form_class(self):
        self.panel = self.role_panel()
        return self.panel.get_form_class()


class InstitutionCreateView(ServiceErrorsMixin, RolePanelMixin, ScopedCreateView):
    def role_panel(self):
        return institution_panel(reviewer=True)

    def save_instance(self):
        data = self.form.cleaned_data
        names = (
            *services.IDENTITY_FIELDS,
            *services.CONTACT_FIELDS,
            *services.QUALIFICATION_FIELDS,
        )
        return services.institution_create(
            actor=self.request.user,
            fields={name: data[name] for name in names if name in data},
            filings=filing_rows(self.form),
            reason=data.get("qualification_reason", ""),
            request=self.request,
        )


class InstitutionEditView(ServiceErrorsMixin, RolePanelMixin, ScopedEditView):
    def role_panel(self):
        return institution_panel(
            reviewer=policies.may_review(self.request.user, self.object)
        )

    def save_instance(self):
        form, user = self.form, self.request.user
        data = form.cleaned_data
        names = (*services.IDENTITY_FIELDS, *services.CONTACT_FIELDS)
        institution = services.institution_update(
            actor=user,
            institution=self.object,
            changes={name: data[name] for name in names if name in form.fields},
            filings=filing_rows(form),
            request=self.request,
        )
        if "status" in form.fields:
            institution = services.institution_qualification_set(
                actor=user,
                institution=institution,
                status=data["status"],
                approved_at=data.get("approved_at"),
                reason=data.get("qualification_reason", ""),
                request=self.request,
            )
        return institution


class InstitutionInspectView(ScopedInspectView):
    template_name = "bases/admin/institution_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution, user = self.object, self.request.user
        context["change_requests"] = list(
            institution.change_requests.select_related("requested_by")[:5]
        )
        if policies.is_institution_staff(user, institution):
            context["change_request_url"] = (
                reverse("institutionchangerequest:add")
                + "?"
                + urlencode({"institution": institution.pk})
            )
        # --- c13-tok ---
        from bases.token_views import may_see_tokens

        if may_see_tokens(user, institution):
            context["api_tokens_url"] = reverse(
                "bases_api_tokens", args=[institution.pk]
            )
        # --- end c13-tok ---
        return context


class InstitutionViewSet(ScopedModelViewSet):
    model = TrainingInstitution
    icon = "home"
    menu_label = "培训机构"
    add_view_class = InstitutionCreateView
    edit_view_class = InstitutionEditView
    inspect_view_class = InstitutionInspectView
    filterset_class = InstitutionFilterSet
    search_fields = ["name", "credit_code"]
    list_display = ["name", "credit_code", "kind", "region", "status"]
    list_select_related = ["region"]
    # The file and the page show the same facts.
    list_export = inspect_view_fields = [
        "name",
        "credit_code",
        "kind",
        "region",
        "address",
        "contact_name",
        "contact_phone",
        "status",
        "approved_at",
    ]
    export_headings = {"region": "所在地"}
    export_filename = "培训机构"
    # Each view builds its form from the panel the user's role gets (see
    # institution_panel); this one only describes the model to Wagtail.
    edit_handler = REVIEWER_FORM


class BaseFilterSet(WagtailFilterSet):
    region = RegionFilter()

    class Meta:
        model = TrainingBase
        fields = ["kind", "level", "build_type", "status"]


def _base_panel(create: bool) -> ObjectList:
    # The level is set when the base is registered; later it changes only through
    # 级别变更 (with its document, kept in the history).
    return ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldRowPanel(
                        [FieldPanel("kind")]
                        + ([FieldPanel("level")] if create else [])
                        + [FieldPanel("status")]
                    ),
                    FieldRowPanel([FieldPanel("host"), FieldPanel("region")]),
                    FieldPanel("stations"),
                    FieldPanel("occupations"),
                ],
                heading="基本信息",
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("approval_year"), FieldPanel("approval_doc_no")]
                    ),
                    FieldRowPanel([FieldPanel("build_type"), FieldPanel("build_year")]),
                    FieldPanel("funding"),
                ],
                heading="批准与建设",
            ),
            InlinePanel(
                "funding_rows",
                heading="资金到位",
                label="资金",
                panels=[
                    FieldPanel("year"),
                    FieldPanel("source"),
                    FieldPanel("amount"),
                    FieldPanel("document_no"),
                ],
            ),
            FieldPanel("description"),
        ]
    )


BASE_CREATE_PANEL = _base_panel(create=True)
BASE_EDIT_PANEL = _base_panel(create=False)


@functools.cache
def _bound_panel(panel, model):
    return panel.bind_to_model(model)


class RegistrySaveMixin(ServiceErrorsMixin, RolePanelMixin):
    """Build the form from the panel for this view; save through the registry service."""

    panel_for_view = None
    service_arg = ""  # "base" / "studio"

    def role_panel(self):
        return _bound_panel(self.panel_for_view, self.model)

    def save_instance(self):
        instance = self.form.save(commit=False)
        save = (
            services.base_save if self.service_arg == "base" else services.studio_save
        )
        instance = save(
            actor=self.request.user,
            **{self.service_arg: instance},
            request=self.request,
        )
        if hasattr(self.form, "save_m2m"):
            self.form.save_m2m()
        return instance


class BaseCreateView(RegistrySaveMixin, ScopedCreateView):
    panel_for_view = BASE_CREATE_PANEL
    service_arg = "base"


class BaseEditView(RegistrySaveMixin, ScopedEditView):
    panel_for_view = BASE_EDIT_PANEL
    service_arg = "base"


class RegistryInspectView(ScopedInspectView):
    what = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context[self.what] = getattr(selectors, f"{self.what}_with_facts")(self.object)
        context["may_change_level"] = policies.may_review_region(
            user, self.object.region_id
        )
        context["level_change_url"] = reverse(
            f"bases_{self.what}_level_change", args=[self.object.pk]
        )
        return context


class BaseInspectView(RegistryInspectView):
    template_name = "bases/admin/base_inspect.html"
    what = "base"


class TrainingBaseViewSet(ScopedModelViewSet):
    model = TrainingBase
    icon = "site"
    menu_label = "培训基地"
    filterset_class = BaseFilterSet
    add_view_class = BaseCreateView
    edit_view_class = BaseEditView
    inspect_view_class = BaseInspectView
    edit_handler = BASE_CREATE_PANEL
    search_fields = ["name", "approval_doc_no"]
    list_display = ["name", "kind", "level", "host", "region", "stations", "status"]
    list_select_related = ["host", "region"]
    list_export = [
        "name",
        "kind",
        "level",
        "host",
        "region",
        "stations",
        "approval_year",
        "approval_doc_no",
        "build_type",
        "build_year",
        "status",
        "funding",
    ]
    export_headings = {"host": "依托单位", "region": "所在地"}
    export_filename = "培训基地"
    inspect_view_fields = [
        "name",
        "kind",
        "level",
        "status",
        "host",
        "region",
        "stations",
        "approval_year",
        "approval_doc_no",
        "build_type",
        "build_year",
        "funding",
        "description",
    ]


class StudioFilterSet(WagtailFilterSet):
    region = RegionFilter()

    class Meta:
        model = SkillMasterStudio
        fields = ["level", "master_level", "status"]


def _studio_panel(create: bool) -> ObjectList:
    return ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldRowPanel(
                        ([FieldPanel("level")] if create else [])
                        + [FieldPanel("status")]
                    ),
                    FieldRowPanel([FieldPanel("host"), FieldPanel("region")]),
                    FieldPanel("occupation"),
                    FieldRowPanel(
                        [FieldPanel("approval_year"), FieldPanel("approval_doc_no")]
                    ),
                    FieldRowPanel([FieldPanel("build_start"), FieldPanel("build_end")]),
                    FieldPanel("funding"),
                ],
                heading="基本信息",
            ),
            MultiFieldPanel(
                [
                    HelpPanel(
                        content="领办人须具有技师（二级）及以上职业技能等级；"
                        "平台上获得的荣誉（如竞赛认定的技术能手）自动显示，无需填写。"
                    ),
                    FieldRowPanel(
                        [FieldPanel("master_name"), FieldPanel("master_level")]
                    ),
                    FieldPanel("master_occupation"),
                ],
                heading="领办人",
            ),
            InlinePanel(
                "honours",
                heading="领办人荣誉（申报）",
                label="荣誉",
                panels=[
                    FieldPanel("kind"),
                    FieldPanel("name"),
                    FieldPanel("year"),
                    FieldPanel("document_no"),
                ],
            ),
            InlinePanel(
                "members",
                heading="团队成员",
                label="成员",
                panels=[FieldPanel("name"), FieldPanel("role"), FieldPanel("level")],
            ),
            InlinePanel(
                "apprentices",
                heading="带徒情况",
                label="徒弟",
                panels=[
                    FieldPanel("year"),
                    FieldPanel("name"),
                    FieldPanel("level_reached"),
                ],
            ),
            InlinePanel(
                "achievements",
                heading="攻关与成果",
                label="成果",
                panels=[
                    FieldPanel("kind"),
                    FieldPanel("title"),
                    FieldPanel("year"),
                    FieldPanel("reference"),
                ],
            ),
            InlinePanel(
                "evaluations",
                heading="考核结果",
                label="考核",
                panels=[FieldPanel("year"), FieldPanel("result"), FieldPanel("note")],
            ),
            InlinePanel(
                "funding_rows",
                heading="资金到位",
                label="资金",
                panels=[
                    FieldPanel("year"),
                    FieldPanel("source"),
                    FieldPanel("amount"),
                    FieldPanel("document_no"),
                ],
            ),
        ]
    )


STUDIO_CREATE_PANEL = _studio_panel(create=True)
STUDIO_EDIT_PANEL = _studio_panel(create=False)


class StudioCreateView(RegistrySaveMixin, ScopedCreateView):
    panel_for_view = STUDIO_CREATE_PANEL
    service_arg = "studio"


class StudioEditView(RegistrySaveMixin, ScopedEditView):
    panel_for_view = STUDIO_EDIT_PANEL
    service_arg = "studio"


class StudioInspectView(RegistryInspectView):
    template_name = "bases/admin/studio_inspect.html"
    what = "studio"


class StudioViewSet(ScopedModelViewSet):
    model = SkillMasterStudio
    icon = "user"
    menu_label = "技能大师工作室"
    filterset_class = StudioFilterSet
    add_view_class = StudioCreateView
    edit_view_class = StudioEditView
    inspect_view_class = StudioInspectView
    edit_handler = STUDIO_CREATE_PANEL
    search_fields = ["name", "master_name"]
    list_display = ["name", "level", "master_name", "occupation", "host", "region"]
    list_select_related = ["host", "region", "occupation"]
    list_export = [
        "name",
        "level",
        "status",
        "master_name",
        "master_level",
        "occupation",
        "host",
        "region",
        "approval_year",
        "approval_doc_no",
        "build_start",
        "build_end",
        "funding",
    ]
    export_headings = {"host": "依托单位", "region": "所在地", "occupation": "职业"}
    export_filename = "技能大师工作室"
    inspect_view_fields = [
        "name",
        "level",
        "status",
        "host",
        "region",
        "occupation",
        "master_name",
        "master_level",
        "master_occupation",
        "approval_year",
        "approval_doc_no",
        "build_start",
        "build_end",
        "funding",
    ]


# --- level change (its own confirmed action) and the plan's base targets ---------------


class LevelChangeForm(forms.Form):
    to_level = forms.ChoiceField(label="新级别", choices=ApprovalLevel.choices)
    changed_on = forms.DateField(
        label="变更日期", widget=forms.DateInput(attrs={"type": "date"})
    )
    document_no = forms.CharField(label="文号", max_length=60)


LEVEL_CHANGE_SERVICES = {
    "base": (TrainingBase, "培训基地", "trainingbase"),
    "studio": (SkillMasterStudio, "技能大师工作室", "skillmasterstudio"),
}


def level_change_view(request, what, pk):
    """级别变更: a small form, a confirmation page, then the service (bureau only)."""
    model, noun, url_prefix = LEVEL_CHANGE_SERVICES[what]
    obj = access.get_visible_or_404(request.user, model, pk=pk)
    back_url = reverse(f"{url_prefix}:inspect", args=[obj.pk])
    if not policies.may_review_region(request.user, obj.region_id):
        return render(
            request,
            "bases/admin/denied.html",
            {
                "message": f"只有{noun}所在地的人社部门可以登记级别变更。",
                "back_url": back_url,
            },
            status=403,
        )
    if request.method == "POST":
        form = LevelChangeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["to_level"] == obj.level:
                form.add_error("to_level", "新级别与现级别相同。")
            elif confirm.needed(request):
                return confirm.page(
                    request,
                    title="级别变更",
                    question=(
                        f"确定将“{obj.name}”由{obj.get_level_display()}变更为"
                        f"{ApprovalLevel(data['to_level']).label}吗？"
                    ),
                    consequences=[
                        f"依据文号：{data['document_no']}，"
                        f"变更日期：{data['changed_on']:%Y-%m-%d}。",
                        "变更记入级别历史并留痕，公开目录同步显示新级别。",
                    ],
                    confirm_label="确认变更级别",
                    cancel_url=back_url,
                )
            else:
                service = (
                    services.base_level_change
                    if what == "base"
                    else services.studio_level_change
                )
                try:
                    service(
                        actor=request.user,
                        **{what: obj},
                        to_level=data["to_level"],
                        changed_on=data["changed_on"],
                        document_no=data["document_no"],
                        request=request,
                    )
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        for name, errors in exc.error_dict.items():
                            field = name if name in form.fields else None
                            form.add_error(field, ValidationError(errors))
                    else:
                        form.add_error(None, exc)
                except PermissionDenied as exc:
                    form.add_error(None, error_text(exc))
                else:
                    messages.success(request, f"“{obj.name}”的级别已变更。")
                    return redirect(back_url)
    else:
        form = LevelChangeForm()
    return render(
        request,
        "bases/admin/level_change.html",
        {"object": obj, "noun": noun, "form": form, "back_url": back_url},
    )


def _target_scopes(user):
    scope = access.scope_for(user)
    if scope.is_superuser:
        return [None]
    return list(scope.region_prefixes())


def base_targets_view(request):
    """建设目标: the plan's public-training-base targets against the registry, for the
    viewer's region (the province for provincial staff)."""
    prefixes = _target_scopes(request.user)
    if not prefixes:
        return render(
            request,
            "bases/admin/denied.html",
            {"message": "建设目标仅对人社部门工作人员开放。", "back_url": ""},
            status=403,
        )
    regions = {
        r.code: r
        for r in Region.objects.filter(
            code__in=[(p + "0000")[:6] for p in prefixes if p]
        )
    }
    blocks = []
    for prefix in prefixes:
        region = regions.get((prefix + "0000")[:6]) if prefix else None
        counts = selectors.base_target_counts(region=prefix)
        blocks.append(
            {
                "region_name": region.name if region else "全省",
                "rows": list(counts.values()),
            }
        )
    return render(
        request,
        "bases/admin/targets.html",
        {"blocks": blocks, "period": (2021, 2025)},
    )


def base_targets_menu_item():
    return BureauMenuItem(
        "基地建设目标",
        reverse("bases_targets"),
        name="base-targets",
        icon_name="doc-full",
    )


class MembershipCreateView(ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return membership_grant(
            user=data["user"],
            role=data["role"],
            institution=data.get("institution"),
            region=data.get("region"),
        )


class MembershipFilterSet(WagtailFilterSet):
    role = django_filters.ChoiceFilter(
        choices=StaffMembership._meta.get_field("role").choices
    )

    class Meta:
        model = StaffMembership
        fields = ["role", "is_active"]


class MembershipViewSet(ScopedModelViewSet):
    model = StaffMembership
    icon = "group"
    menu_label = "工作人员身份"
    add_view_class = MembershipCreateView
    filterset_class = MembershipFilterSet
    search_fields = ["user__username", "institution__name"]
    list_display = [
        "user",
        "role",
        Column("institution", label="机构"),
        "region",
        "is_active",
    ]
    list_select_related = ["user", "institution", "region"]
    inspect_view_fields = [
        "user",
        "role",
        "institution",
        "region",
        "is_active",
        "created_at",
    ]
    form_fields = ["user", "role", "institution", "region", "is_active"]


# --- change requests ---------------------------------------------------------------------


class ChangeRequestPolicy(ScopedPermissionPolicy):
    """Who sees a change request sees the institution; its staff file one; nobody edits
    or deletes a filed request (the bureau decides on its page, through the services)."""

    def user_has_permission(self, user, action):
        if not user.is_active:
            return False
        if action in ("view", "inspect"):
            return user.has_perm("bases.view_traininginstitution")
        if action == "add":
            scope = access.scope_for(user)
            return bool(scope.institution_ids(Role.INSTITUTION)) and user.has_perm(
                "bases.change_traininginstitution"
            )
        return False

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


CHANGE_REQUEST_FORM = ObjectList(
    [
        *IDENTITY_PANELS,
        InlinePanel("filings", heading="备案职业", label="备案职业"),
        FieldPanel("note"),
    ]
)


class ChangeRequestCreateView(ServiceErrorsMixin, ScopedCreateView):
    """申请变更机构信息: the form starts from the institution's approved facts."""

    def get_institution(self):
        if not hasattr(self, "_institution"):
            scope = access.scope_for(self.request.user)
            own = scope.institution_ids(Role.INSTITUTION)
            wanted = self.request.GET.get("institution") or (
                own[0] if len(own) == 1 else None
            )
            if not str(wanted or "").isdigit() or int(wanted) not in own:
                raise Http404
            self._institution = get_object_or_404(
                TrainingInstitution.objects.prefetch_related("filings"), pk=wanted
            )
        return self._institution

    def get_add_url(self):
        return (
            super().get_add_url()
            + "?"
            + urlencode({"institution": self.get_institution().pk})
        )

    def get_initial_form_instance(self):
        institution = self.get_institution()
        proposal = InstitutionChangeRequest(
            institution=institution,
            **{
                f"{name}_id" if name == "region" else name: getattr(
                    institution, f"{name}_id" if name == "region" else name
                )
                for name in services.IDENTITY_FIELDS
            },
        )
        if self.request.method == "GET":
            proposal.filings = [
                ChangeRequestFiling(
                    occupation_id=filing.occupation_id,
                    **{
                        name: getattr(filing, name)
                        for name in services.FILING_FIELDS[1:]
                    },
                )
                for filing in institution.filings.all()
            ]
        return proposal

    def save_instance(self):
        data = self.form.cleaned_data
        return services.institution_change_request_file(
            actor=self.request.user,
            institution=self.get_institution(),
            filings=filing_rows(self.form) or [],
            note=data.get("note", ""),
            request=self.request,
            **{name: data[name] for name in services.IDENTITY_FIELDS},
        )

    def get_success_message(self, instance):
        return "变更申请已提交，人社部门审核通过后生效。"

    def get_success_url(self):
        return reverse("institutionchangerequest:inspect", args=[self.object.pk])


class ChangeRequestIndexView(ScopedIndexView):
    def get_edit_url(self, instance):
        return reverse("institutionchangerequest:inspect", args=[instance.pk])


class ChangeRequestInspectView(ScopedInspectView):
    template_name = "bases/admin/change_request_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change_request = self.object
        context["differences"] = [
            (FIELD_LABELS[name], show(name, old), show(name, new))
            for name, old, new in services.change_request_differences(change_request)
        ]
        context["can_review"] = (
            change_request.status == ChangeRequestStatus.PENDING
            and policies.may_review(self.request.user, change_request.institution)
        )
        if context["can_review"]:
            context["approve_url"] = reverse(
                "bases_change_request_review", args=[change_request.pk, "approve"]
            )
            context["reject_url"] = reverse(
                "bases_change_request_review", args=[change_request.pk, "reject"]
            )
        return context


FIELD_LABELS = {
    "name": "机构名称",
    "credit_code": "统一社会信用代码",
    "kind": "机构类型",
    "region": "所在地",
    "filings": "备案职业",
}


def show(name, value):
    """A snapshot value as people read it."""
    if value in (None, ""):
        return "—"
    if name == "kind":
        return (
            InstitutionKind(value).label if value in InstitutionKind.values else value
        )
    if name == "region":
        found = Region.objects.filter(pk=value).values_list("name", flat=True).first()
        return f"{found or ''}（{value}）"
    if name == "filings":
        names = dict(
            Occupation.objects.filter(
                pk__in=[row["occupation"] for row in value]
            ).values_list("pk", "name")
        )
        levels = dict(SkillLevel.choices)
        return (
            "；".join(
                f"{names.get(row['occupation'], row['occupation'])} "
                f"≤{levels.get(row['max_level'], row['max_level'])}"
                f"{'·培训' if row['can_train'] else ''}"
                f"{'·评价' if row['can_evaluate'] else ''}"
                f"{'·' + row['filing_no'] if row['filing_no'] else ''}"
                for row in value
            )
            or "（无）"
        )
    return str(value)


class ChangeRequestFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="状态", choices=ChangeRequestStatus.choices
    )

    class Meta:
        model = InstitutionChangeRequest
        fields = ["status"]


class ChangeRequestViewSet(ScopedModelViewSet):
    model = InstitutionChangeRequest
    icon = "tasks"
    menu_label = "机构变更申请"
    index_view_class = ChangeRequestIndexView
    add_view_class = ChangeRequestCreateView
    inspect_view_class = ChangeRequestInspectView
    filterset_class = ChangeRequestFilterSet
    search_fields = ["institution__name", "name"]
    list_display = [
        Column("institution", label="机构"),
        "name",
        "status",
        "requested_at",
        "reviewed_at",
    ]
    list_select_related = ["institution"]
    list_export = [
        "institution",
        "name",
        "credit_code",
        "kind",
        "region",
        "status",
        "requested_at",
        "reviewed_at",
        "review_note",
    ]
    export_headings = {"institution": "机构", "region": "所在地"}
    export_filename = "机构变更申请"
    inspect_view_fields = [
        "institution",
        "status",
        "note",
        "requested_by",
        "requested_at",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    ]
    edit_handler = CHANGE_REQUEST_FORM

    def register_permissions(self):
        if policy_registry.get_by_type(self.model, fallback=False) is None:
            register_permission_policy(
                self.model, ChangeRequestPolicy(self.model), exact_class=True
            )
        super().register_permissions()


class ChangeRequestReviewForm(forms.Form):
    reason = forms.CharField(label="审核意见", required=False, max_length=1000)


@require_POST
def change_request_review(request, pk, action):
    """批准 or 退回 a change request, and go back to it."""
    if action not in ("approve", "reject"):
        raise Http404
    change_request = access.get_visible_or_404(
        request.user, InstitutionChangeRequest, pk=pk
    )
    form = ChangeRequestReviewForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if action == "approve":
            services.institution_change_request_approve(
                actor=request.user,
                change_request=change_request,
                note=reason,
                request=request,
            )
        else:
            services.institution_change_request_reject(
                actor=request.user,
                change_request=change_request,
                reason=reason,
                request=request,
            )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        label = "批准" if action == "approve" else "退回"
        messages.success(request, f"变更申请已{label}。")
    return redirect("institutionchangerequest:inspect", pk)


def pending_changes_menu_item():
    url = (
        reverse("institutionchangerequest:index")
        + "?"
        + urlencode({"status": ChangeRequestStatus.PENDING})
    )
    return BureauMenuItem(
        "待审核机构变更", url, name="pending-institution-changes", icon_name="tasks"
    )


class InstitutionsGroup(ViewSetGroup):
    menu_label = "机构与基地"
    menu_icon = "home"
    menu_order = 210
    submenu_hook = "register_institutions_menu_item"
    items = (
        InstitutionViewSet,
        ChangeRequestViewSet,
        TrainingBaseViewSet,
        StudioViewSet,
        MembershipViewSet,
    )
