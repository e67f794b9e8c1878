"""Back-office screens for institutions, training bases, studios and staff memberships."""

import django_filters
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ViewSetGroup

from bases.models import (
    SkillMasterStudio,
    StaffMembership,
    TrainingBase,
    TrainingInstitution,
)
from bases.services import membership_grant
from training_platform.filters import RegionFilter
from training_platform.viewsets import ScopedCreateView, ScopedModelViewSet

APPROVE = "bases.approve_traininginstitution"


class InstitutionFilterSet(WagtailFilterSet):
    region = RegionFilter()

    class Meta:
        model = TrainingInstitution
        fields = ["kind", "status"]


class InstitutionViewSet(ScopedModelViewSet):
    model = TrainingInstitution
    icon = "home"
    menu_label = "培训机构"
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
    panels = [
        FieldPanel("name"),
        FieldPanel("credit_code"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("region")]),
        FieldPanel("address"),
        FieldRowPanel([FieldPanel("contact_name"), FieldPanel("contact_phone")]),
        MultiFieldPanel(
            [FieldPanel("status"), FieldPanel("approved_at")],
            heading="资质认定",
            permission=APPROVE,
        ),
        InlinePanel("filings", heading="备案职业", label="备案职业"),
    ]


class BaseFilterSet(WagtailFilterSet):
    region = RegionFilter()

    class Meta:
        model = TrainingBase
        fields = ["kind", "level"]


class TrainingBaseViewSet(ScopedModelViewSet):
    model = TrainingBase
    icon = "site"
    menu_label = "培训基地"
    filterset_class = BaseFilterSet
    search_fields = ["name", "approval_doc_no"]
    list_display = ["name", "kind", "level", "host", "region", "stations"]
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
        "funding",
    ]
    export_headings = {"host": "依托单位", "region": "所在地"}
    export_filename = "培训基地"
    inspect_view_fields = [
        "name",
        "kind",
        "level",
        "host",
        "region",
        "stations",
        "approval_year",
        "approval_doc_no",
        "funding",
        "description",
    ]
    form_fields = [
        "name",
        "kind",
        "level",
        "host",
        "region",
        "stations",
        "occupations",
        "approval_year",
        "approval_doc_no",
        "funding",
        "description",
    ]


class StudioFilterSet(WagtailFilterSet):
    region = RegionFilter()

    class Meta:
        model = SkillMasterStudio
        fields = ["level"]


class StudioViewSet(ScopedModelViewSet):
    model = SkillMasterStudio
    icon = "user"
    menu_label = "技能大师工作室"
    filterset_class = StudioFilterSet
    search_fields = ["name", "master_name"]
    list_display = ["name", "level", "master_name", "occupation", "host", "region"]
    list_select_related = ["host", "region", "occupation"]
    list_export = [
        "name",
        "level",
        "master_name",
        "master_level",
        "occupation",
        "host",
        "region",
        "approval_year",
        "approval_doc_no",
        "funding",
        "apprentices_mentored",
    ]
    export_headings = {"host": "依托单位", "region": "所在地", "occupation": "职业"}
    export_filename = "技能大师工作室"
    inspect_view_fields = [
        "name",
        "level",
        "host",
        "region",
        "occupation",
        "master_name",
        "master_level",
        "master_honours",
        "approval_year",
        "approval_doc_no",
        "funding",
        "apprentices_mentored",
        "results",
    ]
    form_fields = [
        "name",
        "level",
        "host",
        "region",
        "occupation",
        "master_name",
        "master_level",
        "master_honours",
        "approval_year",
        "approval_doc_no",
        "funding",
        "apprentices_mentored",
        "results",
    ]


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


class InstitutionsGroup(ViewSetGroup):
    menu_label = "机构与基地"
    menu_icon = "home"
    menu_order = 210
    items = (InstitutionViewSet, TrainingBaseViewSet, StudioViewSet, MembershipViewSet)
