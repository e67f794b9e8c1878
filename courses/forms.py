"""Back-office forms for courses, classes, class review and attendance/assessment.

Forms only parse input and narrow choices; every rule is checked by ``courses.services``.
"""

from django import forms
from django.db.models import Exists, OuterRef, Q
from wagtail.admin.forms import WagtailAdminModelForm

from bases.models import InstitutionOccupation, TrainingInstitution
from courses.models import AssessmentResult, Course, TrainingClass
from courses.services import COURSE_EDITABLE_FIELDS
from training_platform import access
from training_platform.reference.models import RegionLevel
from training_platform.roles import Role

# The form edits exactly what course_update may change.
COURSE_FIELDS = list(COURSE_EDITABLE_FIELDS)
CLASS_FIELDS = [
    "code",
    "course",
    "start_date",
    "end_date",
    "capacity",
    "venue",
    "region",
    "address",
]


def own_institution_ids(user):
    """Institutions ``user`` is institution staff of; ``None`` means any (superuser)."""
    scope = access.scope_for(user)
    return None if scope.is_superuser else scope.institution_ids(Role.INSTITUTION)


class CourseForm(WagtailAdminModelForm):
    class Meta:
        model = Course
        fields = COURSE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Seeing an institution (an evaluator, a bureau) is not working for it.
        ids = own_institution_ids(self.for_user)
        if ids is not None:
            field = self.fields["institution"]
            field.queryset = TrainingInstitution.objects.filter(pk__in=ids)
            if len(ids) == 1 and not self.instance.pk:
                field.initial = ids[0]
            # Only occupations the user's institutions are filed to train (the
            # service checks the pair and the level).
            filed = Q(
                pk__in=InstitutionOccupation.objects.filter(
                    institution_id__in=ids, can_train=True
                ).values("occupation_id")
            )
            if self.instance.pk:
                filed |= Q(pk=self.instance.occupation_id)
            occupation = self.fields["occupation"]
            occupation.queryset = occupation.queryset.filter(filed)
            occupation.help_text = "只列出本机构已备案培训资格的职业（工种）。"


class TrainingClassForm(WagtailAdminModelForm):
    class Meta:
        model = TrainingClass
        fields = CLASS_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = own_institution_ids(self.for_user)
        offered = Q(is_active=True)
        if ids is not None:
            # Courses whose institution is (still) filed to train their occupation.
            offered &= Q(institution_id__in=ids) & Exists(
                InstitutionOccupation.objects.filter(
                    institution_id=OuterRef("institution_id"),
                    occupation_id=OuterRef("occupation_id"),
                    can_train=True,
                )
            )
        if self.instance.pk:  # keep the current course selectable even if inactive
            offered |= Q(pk=self.instance.course_id)
        self.fields["course"].queryset = Course.objects.filter(offered)
        region = self.fields["region"]
        region.required = False
        region.help_text = "留空则取实训基地所在地，未选基地时取培训机构所在地。"
        # A class takes place in a county; the bureau there (or above) approves it.
        region.queryset = region.queryset.filter(level=RegionLevel.COUNTY).order_by(
            "code"
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="退回原因",
        required=False,  # courses.services.class_reject insists on one
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


RESULT_CHOICES = [("", "未录入"), *AssessmentResult.choices]


class ResultRowForm(forms.Form):
    """One enrolment's attendance hours, score and result on the results screen."""

    hours = forms.DecimalField(label="出勤课时", max_digits=6, decimal_places=1)
    score = forms.DecimalField(
        label="考核成绩", required=False, max_digits=5, decimal_places=1
    )
    result = forms.ChoiceField(label="考核结果", choices=RESULT_CHOICES, required=False)

    def __init__(self, *args, enrolment, **kwargs):
        self.enrolment = enrolment
        kwargs["prefix"] = f"e{enrolment.pk}"
        kwargs["initial"] = {
            "hours": enrolment.attendance_hours,
            "score": enrolment.score,
            "result": enrolment.result,
        }
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = f"{enrolment.trainee.name} {field.label}"
