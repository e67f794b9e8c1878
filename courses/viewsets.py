"""Back-office screens for courses (培训项目), classes (培训班) and enrolments (报名)."""

from urllib.parse import urlencode

import django_filters
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ViewSetGroup

from courses import services
from courses.admin_views import (
    RECORDING_STATUSES,
    ROSTER_STATUSES,
    STATUS_NOTES,
    class_next_steps,
    next_waiting_class,
    review_facts,
)
from courses.extensions import class_page_links
from courses.forms import (
    CLASS_FIELDS,
    COURSE_FIELDS,
    CourseForm,
    RejectForm,
    TrainingClassForm,
)
from courses.models import (
    AssessmentResult,
    ClassStatus,
    Course,
    CourseKind,
    CourseMode,
    Enrolment,
    EnrolmentStatus,
    TrainingClass,
)
from courses.policies import class_can_edit, is_class_staff
from training_platform import access
from training_platform.filters import RegionFilter
from training_platform.reference.models import OccupationCategory
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

# --- courses ---------------------------------------------------------------------------


class CourseFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(label="培训类型", choices=CourseKind.choices)
    mode = django_filters.ChoiceFilter(label="培训方式", choices=CourseMode.choices)
    occupation_group = django_filters.ModelChoiceFilter(
        label="职业大类",
        field_name="occupation__major",
        queryset=OccupationCategory.objects.filter(
            level=OccupationCategory.Level.MAJOR
        ),
    )
    region = RegionFilter(
        label="机构所在地", field_names=("institution__region__code",)
    )

    class Meta:
        model = Course
        fields = ["kind", "subsidised", "mode"]


class CourseCreateView(ServiceErrorsMixin, ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        fields = {name: data[name] for name in COURSE_FIELDS if name != "institution"}
        return services.course_create(
            actor=self.request.user, institution=data["institution"], **fields
        )


class CourseEditView(ServiceErrorsMixin, ScopedEditView):
    def save_instance(self):
        # The form has written its values onto self.object; the service re-reads the
        # row under a lock, checks the filing and records what changed.
        data = self.form.cleaned_data
        return services.course_update(
            actor=self.request.user,
            course=self.object,
            changes={name: data[name] for name in COURSE_FIELDS if name in data},
            request=self.request,
        )


class CourseViewSet(ScopedModelViewSet):
    model = Course
    icon = "doc-full"
    menu_label = "培训项目"
    menu_order = 10
    add_view_class = CourseCreateView
    edit_view_class = CourseEditView
    filterset_class = CourseFilterSet
    search_fields = ["title", "occupation__name"]
    list_display = [
        "title",
        "institution",
        "occupation",
        "kind",
        "target_level",
        "hours",
        "subsidised",
        "mode",
    ]
    list_select_related = ["institution", "occupation"]
    list_export = [
        "title",
        "institution",
        "occupation",
        "kind",
        "target_level",
        "hours",
        "fee",
        "subsidised",
        "mode",
    ]
    export_headings = {"institution": "培训机构", "occupation": "职业（工种）"}
    export_filename = "培训项目"
    inspect_view_fields = [*COURSE_FIELDS, "created_at"]

    def get_form_class(self, for_update=False):
        return CourseForm


# --- classes ---------------------------------------------------------------------------


class ClassFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=ClassStatus.choices)
    region = RegionFilter(label="培训地点", field_names=("region__code",))
    start_date = django_filters.DateFromToRangeFilter(
        label="开班日期", widget=DateRangePickerWidget
    )

    class Meta:
        model = TrainingClass
        fields = ["status"]


class ClassIndexView(ScopedIndexView):
    def get_edit_url(self, instance):
        # Titles lead to the class page (with its workflow) unless it can be edited.
        if class_can_edit(self.request.user, instance):
            return super().get_edit_url(instance)
        return None


class ClassCreateView(ServiceErrorsMixin, ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.class_create(
            actor=self.request.user, **{name: data[name] for name in CLASS_FIELDS}
        )


class ClassLocked(PermissionDenied):
    pass


class ClassEditView(ServiceErrorsMixin, ScopedEditView):
    """Institution staff edit a class only while it is a draft or was returned."""

    def save_instance(self):
        # The form has already written its values onto self.object; the service
        # re-reads the row under a lock, applies them and records what changed.
        data = self.form.cleaned_data
        return services.class_update(
            actor=self.request.user,
            training_class=self.object,
            changes={name: data[name] for name in CLASS_FIELDS if name in data},
            request=self.request,
        )

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not is_class_staff(self.request.user, obj):
            raise ClassLocked("只有开班的培训机构可以修改培训班信息。")
        if not class_can_edit(self.request.user, obj):
            raise ClassLocked(
                f"培训班当前状态为“{obj.get_status_display()}”，"
                "只有草稿或已退回的培训班可以修改。"
            )
        return obj

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except ClassLocked as exc:
            return TemplateResponse(
                request,
                "courses/admin/class_locked.html",
                {
                    "message": str(exc),
                    "inspect_url": reverse(
                        "trainingclass:inspect", args=[self._scoped_pk()]
                    ),
                },
                status=403,
            )


class ClassInspectView(ScopedInspectView):
    template_name = "courses/admin/class_inspect.html"

    def get_object(self, queryset=None):
        self.kwargs.setdefault("pk", self.pk)
        return access.get_visible_or_404(
            self.request.user,
            TrainingClass.objects.select_related(
                "course__institution",
                "region",
                "venue",
                "approving_region",
                "approved_by",
            ),
            pk=self._scoped_pk(),
        )

    def get_edit_url(self):
        if class_can_edit(self.request.user, self.object):
            return super().get_edit_url()
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cls, user = self.object, self.request.user
        # Higher apps (certificates, subsidies) add their links (courses.extensions).
        links = [link for fn in class_page_links for link in fn(self.request, cls)]
        steps = class_next_steps(user, cls, links)
        context["institution"] = cls.course.institution
        context["status_note"] = STATUS_NOTES.get(cls.status, "")
        context["next_steps"] = steps
        reject_form = RejectForm()  # beside the buttons: a short box, not a page
        reject_form.fields["reason"].widget.attrs.update(
            rows=2, style="max-width: 40em"
        )
        context["reject_form"] = reject_form
        if any(step.get("action") == "approve" for step in steps):
            context["review"] = review_facts(cls)
            context["status_note"] = "请核对下方的审批要点，再批准或退回。"
        context["next_waiting"], context["waiting_count"] = next_waiting_class(
            user, after=cls
        )
        staff = is_class_staff(user, cls)
        context["results_url"] = reverse("courses_class_results", args=[cls.pk])
        context["can_import_results"] = staff and cls.status in RECORDING_STATUSES
        context["can_import_roster"] = staff and cls.status in ROSTER_STATUSES
        context["enrolments_url"] = (
            reverse("enrolment:index") + "?" + urlencode({"class_code": cls.code})
        )
        context["extra_links"] = [link for link in links if not link.next_step]
        return context


class TrainingClassViewSet(ScopedModelViewSet):
    model = TrainingClass
    icon = "date"
    menu_label = "培训班"
    menu_order = 20
    index_view_class = ClassIndexView
    add_view_class = ClassCreateView
    edit_view_class = ClassEditView
    inspect_view_class = ClassInspectView
    filterset_class = ClassFilterSet
    search_fields = ["code", "course__title"]
    list_display = [
        "code",
        "course",
        Column("institution", label="培训机构", accessor="course.institution"),
        "region",
        "start_date",
        "end_date",
        "capacity",
        "seats_taken",
        "status",
    ]
    list_select_related = ["course__institution", "region"]
    list_export = [
        "code",
        "course.title",
        "course.institution.name",
        "region",
        "address",
        "start_date",
        "end_date",
        "capacity",
        "seats_taken",
        "status",
    ]
    export_headings = {
        "course.title": "培训项目",
        "course.institution.name": "培训机构",
        "region": "培训地点",
    }
    export_filename = "培训班"
    inspect_view_fields = [
        "code",
        "course",
        "status",
        "start_date",
        "end_date",
        "region",
        "venue",
        "address",
        "capacity",
        "seats_taken",
        "filed_at",
        "approving_region",
        "approved_by",
        "approved_at",
        "rejection_reason",
    ]

    def get_form_class(self, for_update=False):
        return TrainingClassForm


def pending_classes_menu_item():
    """待审批培训班: the class list filtered to filed classes, for bureau staff."""
    url = (
        reverse("trainingclass:index") + "?" + urlencode({"status": ClassStatus.FILED})
    )
    return BureauMenuItem(
        "待审批培训班", url, name="pending-classes", icon_name="tasks", order=25
    )


# --- enrolments ------------------------------------------------------------------------


class ReadOnlyScopedPolicy(ScopedPermissionPolicy):
    """Enrolments change only through the services (self-service, rosters, results)."""

    def user_has_permission(self, user, action):
        return action in ("view", "inspect") and super().user_has_permission(
            user, action
        )

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class EnrolmentFilterSet(WagtailFilterSet):
    class_code = django_filters.CharFilter(
        label="班级编号", field_name="training_class__code", lookup_expr="iexact"
    )
    class_status = django_filters.ChoiceFilter(
        label="培训班状态",
        field_name="training_class__status",
        choices=ClassStatus.choices,
    )
    status = django_filters.ChoiceFilter(
        label="报名状态", choices=EnrolmentStatus.choices
    )
    result = django_filters.ChoiceFilter(
        label="考核结果", choices=AssessmentResult.choices
    )

    class Meta:
        model = Enrolment
        fields = []


class EnrolmentInspectView(ScopedInspectView):
    def get_object(self, queryset=None):
        self.kwargs.setdefault("pk", self.pk)
        return access.get_visible_or_404(
            self.request.user,
            Enrolment.objects.select_related("trainee", "training_class__course"),
            pk=self._scoped_pk(),
        )

    def get_field_label(self, field_name, field):
        if field_name == "masked_id_number":
            return "身份证号码"
        return super().get_field_label(field_name, field)

    def get_masked_id_number_display_value(self):
        return self.object.trainee.masked_id_number


class EnrolmentViewSet(ScopedModelViewSet):
    model = Enrolment
    icon = "list-ul"
    menu_label = "报名"
    menu_order = 30
    inspect_view_class = EnrolmentInspectView
    filterset_class = EnrolmentFilterSet
    search_fields = ["trainee__name", "training_class__code"]
    list_display = [
        "trainee",
        Column(
            "masked_id_number", label="身份证号码", accessor="trainee.masked_id_number"
        ),
        Column("class_code", label="班级编号", accessor="training_class.code"),
        "status",
        "source",
        "attendance_hours",
        "result",
    ]
    list_select_related = ["trainee", "training_class__course"]
    # The results list; filtered by class code it is the class's roster. Only the
    # masked ID number: the plain one never leaves in a file.
    list_export = [
        "trainee.name",
        "trainee.masked_id_number",
        "training_class.code",
        "training_class.course.title",
        "status",
        "source",
        "attendance_hours",
        "score",
        "result",
    ]
    export_headings = {
        "trainee.name": "姓名",
        "trainee.masked_id_number": "身份证号码",
        "training_class.code": "班级编号",
        "training_class.course.title": "培训项目",
        "status": "报名状态",
    }
    export_filename = "报名与考核结果"
    inspect_view_fields = [
        "trainee",
        "masked_id_number",
        "training_class",
        "status",
        "source",
        "enrolled_at",
        "withdrawn_at",
        "attendance_hours",
        "score",
        "result",
        "assessed_at",
    ]
    form_fields = []  # no form: see ReadOnlyScopedPolicy

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            permission_policy=ReadOnlyScopedPolicy(Enrolment), **kwargs
        )


class CoursesGroup(ViewSetGroup):
    menu_label = "课程与培训班"
    menu_icon = "clipboard-list"
    menu_order = 215
    items = (CourseViewSet, TrainingClassViewSet, EnrolmentViewSet)
    # Other screens of this app (待审批, roster import) add themselves to the submenu.
    submenu_hook = "register_courses_menu_item"
