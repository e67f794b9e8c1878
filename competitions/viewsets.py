"""职业技能竞赛 in the back-office: the list, and the form of a competition with its
events (赛项), award rules, title rules and promotion rules inline.

Who: the bureau over a competition's region and the organisers named on it change it;
auditors over the region read it; the bureau creates competitions in its regions
(``competitions.services``). The list links to each competition's page
(``competitions:detail``), where its next steps and entries are.
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.permission_policies import ModelPermissionPolicy

from competitions import policies, services
from competitions.models import (
    Competition,
    CompetitionLevel,
    CompetitionStatus,
)
from training_platform import access
from training_platform.viewsets import (
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    ServiceErrorsMixin,
)


def detail_url(competition) -> str:
    return reverse("competitions:detail", args=[competition.pk])


class CompetitionPermissionPolicy(ModelPermissionPolicy):
    """Not the role groups' model permissions (an organiser may hold any role): the
    competitions policies decide, and ``access`` narrows to rows. Nobody deletes."""

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        if action == "add":
            return services.may_create(user)
        return policies.may_open_competitions(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

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


def _years():
    return [(y, f"{y} 年") for y in range(2020, 2036)]


class CompetitionFilterSet(WagtailFilterSet):
    year = django_filters.TypedChoiceFilter(label="年度", choices=_years, coerce=int)
    level = django_filters.ChoiceFilter(
        label="竞赛级别", choices=CompetitionLevel.choices
    )
    status = django_filters.ChoiceFilter(
        label="状态", choices=CompetitionStatus.choices
    )

    class Meta:
        model = Competition
        fields = []


def event_count(competition) -> str:
    count = getattr(competition, "event_count", None)
    if count is None:
        count = competition.events.count()
    return f"{count} 个赛项"


def entry_count(competition) -> str:
    count = getattr(competition, "entry_count", None)
    if count is None:
        count = services.Entry.objects.filter(
            event__competition=competition, withdrawn=False
        ).count()
    return f"{count} 个"


class CompetitionIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .annotate(
                event_count=Count("events", distinct=True),
                entry_count=Count(
                    "events__entries",
                    filter=Q(events__entries__withdrawn=False),
                    distinct=True,
                ),
            )
        )

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        column_class = self._get_title_column_class(column_class)
        return self._get_custom_column(
            field_name, column_class, get_url=detail_url, **kwargs
        )


def _staff_users():
    """People who may be named organisers: staff accounts, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__isnull=False)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


class OrganiserChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class CompetitionForm(WagtailAdminModelForm):
    """Region and organisers are the bureau's: shown, but fixed for an organiser."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisers" in self.fields:
            old = self.fields["organisers"]
            self.fields["organisers"] = OrganiserChoices(
                queryset=_staff_users(),
                required=False,
                label=old.label,
                help_text=old.help_text,
                widget=forms.CheckboxSelectMultiple,
            )
        user = self.for_user
        instance = self.instance
        if (
            user is not None
            and instance.pk
            and not policies.is_bureau_over(user, instance)
        ):
            for name in ("region", "organisers"):
                if name in self.fields:
                    self.fields[name].disabled = True


COMPETITION_FORM = ObjectList(
    [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldRowPanel(
                    [FieldPanel("level"), FieldPanel("category"), FieldPanel("year")]
                ),
                FieldRowPanel([FieldPanel("region"), FieldPanel("organiser")]),
                FieldRowPanel([FieldPanel("host_base"), FieldPanel("venue")]),
                FieldRowPanel(
                    [
                        FieldPanel("registration_opens"),
                        FieldPanel("registration_closes"),
                    ]
                ),
                FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
                FieldPanel("description"),
            ],
            heading="基本信息",
        ),
        FieldPanel("organisers"),
        InlinePanel(
            "events",
            heading="赛项",
            label="赛项",
            panels=[
                FieldPanel("name"),
                FieldRowPanel([FieldPanel("occupation"), FieldPanel("level")]),
                FieldRowPanel(
                    [FieldPanel("is_team"), FieldPanel("team_size")],
                ),
                FieldRowPanel([FieldPanel("track"), FieldPanel("group")]),
                FieldRowPanel(
                    [FieldPanel("theory_weight"), FieldPanel("practical_weight")]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("uses_judges"),
                        FieldPanel("judge_method"),
                        FieldPanel("judge_spread"),
                    ]
                ),
                FieldRowPanel(
                    [
                        FieldPanel("worldskills_scale"),
                        FieldPanel("tie_break_practical"),
                        FieldPanel("sort_order"),
                    ]
                ),
            ],
        ),
        InlinePanel(
            "award_rules",
            heading="奖项规则",
            label="奖项",
            panels=[
                FieldRowPanel(
                    [
                        FieldPanel("sort_order"),
                        FieldPanel("name"),
                        FieldPanel("count"),
                        FieldPanel("share"),
                        FieldPanel("certificate"),
                    ]
                )
            ],
        ),
        InlinePanel(
            "title_rules",
            heading="称号规则",
            label="称号",
            panels=[
                FieldRowPanel(
                    [
                        FieldPanel("title"),
                        FieldPanel("max_rank"),
                        FieldPanel("max_team_rank"),
                        FieldPanel("document_no"),
                    ]
                )
            ],
        ),
        InlinePanel(
            "promotion_rules",
            heading="晋级规则",
            label="晋级",
            panels=[
                FieldRowPanel(
                    [
                        FieldPanel("min_award"),
                        FieldPanel("to_level"),
                        FieldPanel("step_up"),
                        FieldPanel("document_no"),
                    ]
                )
            ],
        ),
    ],
    base_form_class=CompetitionForm,
)


class CompetitionFormMixin(ServiceErrorsMixin):
    """Saves through ``services.form_saved`` (who may, the region, audit)."""

    def save_instance(self):
        return services.form_saved(
            actor=self.request.user, form=self.form, request=self.request
        )

    def get_success_url(self):
        return detail_url(self.object)


class CompetitionCreateView(CompetitionFormMixin, ScopedCreateView):
    pass


class CompetitionEditView(CompetitionFormMixin, ScopedEditView):
    pass


class CompetitionInspectView(ScopedInspectView):
    pass


class CompetitionViewSet(ScopedModelViewSet):
    model = Competition
    icon = "list-ol"
    menu_label = "职业技能竞赛"
    menu_name = "competitions"
    menu_order = 230
    add_to_admin_menu = True
    url_prefix = "competitions/manage"
    url_namespace = "competition"
    index_view_class = CompetitionIndexView
    add_view_class = CompetitionCreateView
    edit_view_class = CompetitionEditView
    inspect_view_class = CompetitionInspectView
    filterset_class = CompetitionFilterSet
    search_fields = ["name", "organiser"]
    search_backend_name = None
    list_per_page = 50
    list_display = [
        "name",
        Column("year", label="年度"),
        Column("level", label="竞赛级别", accessor="get_level_display"),
        Column("category", label="竞赛类别", accessor="get_category_display"),
        Column("region", label="主管地区", accessor="region.name"),
        Column("status", label="状态", accessor="get_status_display"),
        Column("events", label="赛项", accessor=event_count),
        Column("entries", label="报名", accessor=entry_count),
    ]
    list_select_related = ["region"]
    list_export = [
        "name",
        "year",
        "level",
        "category",
        "region.name",
        "organiser",
        "status",
        "registration_opens",
        "registration_closes",
        "starts_on",
        "ends_on",
    ]
    export_headings = {"region.name": "主管地区"}
    export_filename = "职业技能竞赛"
    inspect_view_fields = [
        "name",
        "level",
        "category",
        "year",
        "region",
        "organiser",
        "host_base",
        "venue",
        "registration_opens",
        "registration_closes",
        "starts_on",
        "ends_on",
        "status",
        "description",
    ]
    edit_handler = COMPETITION_FORM

    def register_permissions(self):
        from wagtail.permissions import policy_registry, register_permission_policy

        if policy_registry.get_by_type(self.model, fallback=False) is None:
            register_permission_policy(
                self.model, CompetitionPermissionPolicy(self.model), exact_class=True
            )
        super().register_permissions()

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            permission_policy=CompetitionPermissionPolicy(self.model), **kwargs
        )
