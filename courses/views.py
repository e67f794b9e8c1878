"""Public self-service: enrol in a class, withdraw from one's own enrolment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from courses.models import ClassStatus, EnrolmentSource, EnrolmentStatus, TrainingClass
from courses.selectors import enrolments_of_trainee
from courses.services import (
    enrolment_can_withdraw,
    enrolment_create,
    enrolment_withdraw,
)
from trainees.selectors import trainee_of
from training_platform import confirm

# Classes still being filed or approved are not public yet.
PUBLIC_CLASS_STATUSES = (
    ClassStatus.APPROVED,
    ClassStatus.OPEN,
    ClassStatus.RUNNING,
    ClassStatus.FINISHED,
    ClassStatus.CANCELLED,
)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def class_enrol(request, code):
    """GET: the class and a confirm button; POST: enrol the signed-in trainee."""
    training_class = get_object_or_404(
        TrainingClass.objects.select_related(
            "course__institution", "course__occupation", "region", "venue"
        ).filter(status__in=PUBLIC_CLASS_STATUSES),
        code=code,
    )
    trainee = trainee_of(request.user)
    error = ""
    if request.method == "POST" and trainee is not None:
        try:
            enrolment_create(
                trainee=trainee,
                training_class=training_class,
                source=EnrolmentSource.SELF,
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, f"报名成功：{training_class.code} {training_class.course}"
            )
            return redirect("me")
    already_enrolled = (
        trainee is not None
        and enrolments_of_trainee(trainee)
        .filter(training_class=training_class, status=EnrolmentStatus.ENROLLED)
        .exists()
    )
    return render(
        request,
        "courses/class_enrol.html",
        {
            "training_class": training_class,
            "trainee": trainee,
            "error": error,
            "already_enrolled": already_enrolled,
            "is_open": training_class.status == ClassStatus.OPEN,
        },
    )


@login_required
@require_POST
def enrolment_withdraw_view(request, pk):
    """Withdraw from one's own enrolment; anyone else's is a 404."""
    trainee = trainee_of(request.user)
    if trainee is None:
        raise Http404
    enrolment = get_object_or_404(enrolments_of_trainee(trainee), pk=pk)
    # Ask first (docs/screens.md); one that can no longer be withdrawn is refused below.
    if enrolment_can_withdraw(enrolment) and confirm.needed(request):
        cls = enrolment.training_class
        return confirm.page(
            request,
            title=_("退出培训班"),
            question=_("确定退出培训班 %(code)s（%(title)s）吗？")
            % {"code": cls.code, "title": cls.course.title},
            consequences=[
                _("退出后名额会释放给其他学员。"),
                _("如要再参加，需要重新报名；那时名额可能已满。"),
            ],
            confirm_label=_("确认退出"),
            cancel_url=reverse("me") + "#record-enrolments",
            danger=True,
            admin=False,
        )
    try:
        enrolment_withdraw(enrolment=enrolment, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"已退出培训班 {enrolment.training_class.code}，名额已释放。"
        )
    return redirect("me")
