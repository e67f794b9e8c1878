"""Back-office views for certificates: revoke and reissue, downloads, issuing.

Thin by design: every object is found through ``access`` (404 outside the user's
scope), every change goes through ``certificates.services``, and a service's refusal is
shown to the user in its own words (a message or a form error), never as a 500.

Personal data (PIPL): pages show the holder's masked name and ID; the printed PDF
carries the full name, so every PDF download writes a ``certificate.print`` audit event.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bases.models import TrainingInstitution
from certificates import extensions, selectors, services
from certificates.forms import ClassIssueForm, EvaluationIssueForm, ReasonForm
from certificates.models import (
    Certificate,
    CertificateStatus,
    DisplayStatus,
    IssueBatch,
    IssueBatchStatus,
    VerificationLog,
)
from certificates.policies import may_manage
from certificates.rendering import certificate_pdf, qr_png
from certificates.tasks import issue_batch_task
from courses.models import AssessmentResult, Enrolment, EnrolmentStatus, TrainingClass
from courses.policies import is_class_staff, is_institution_staff
from courses.services import attendance_threshold_hours, meets_attendance
from trainees.models import Trainee
from trainees.selectors import trainee_find_by_id_number
from training_platform import access, pii
from training_platform.audit.services import audit_record, audit_record_many
from training_platform.errors import error_text
from training_platform.jobs import job_enqueue
from training_platform.reference.models import CertificateKind

PENDING = frozenset({IssueBatchStatus.QUEUED, IssueBatchStatus.RUNNING})


def certificate_url(certificate) -> str:
    return reverse("certificate:inspect", args=[certificate.pk])


def class_url(training_class) -> str:
    return reverse("trainingclass:inspect", args=[training_class.pk])


def class_certificates_url(training_class) -> str:
    return (
        reverse("certificate:index")
        + "?"
        + urlencode({"class_code": training_class.code})
    )


def denied(request, message: str, *, back_url: str = "") -> TemplateResponse:
    """403 with the reason (Wagtail turns a bare PermissionDenied into a redirect)."""
    return TemplateResponse(
        request,
        "certificates/admin/denied.html",
        {"message": message, "back_url": back_url},
        status=403,
    )


def _certificate(request, pk) -> Certificate:
    return selectors.certificate_for_staff(request.user, pk)


# --- the certificate page's record sections (filled by other apps) ---------------------


@dataclass
class RecordSection:
    title: str
    html: str = ""
    rows: list = field(default_factory=list)
    headers: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.html and not self.rows


def record_sections(request, certificate) -> list[RecordSection]:
    """What other apps add to the certificate page, e.g. the subsidy claims behind it.

    Each is registered on ``certificates.extensions.record_sections`` (its answers are
    described there); this app never imports the apps that answer.
    """
    sections = []
    for fn in extensions.record_sections:
        answer = fn(request, certificate)
        if not answer:
            continue
        title, content, *rest = answer
        if isinstance(content, str):
            sections.append(RecordSection(str(title), html=conditional_escape(content)))
            continue
        rows = [
            list(row) if isinstance(row, list | tuple) else [row] for row in content
        ]
        headers = list(rest[0]) if rest and rest[0] else []
        sections.append(RecordSection(str(title), rows=rows, headers=headers))
    return sections


# --- revoke and reissue ----------------------------------------------------------------


@dataclass(frozen=True)
class ReasonedAction:
    """A change to a certificate that needs a reason: the service and what to say."""

    label: str  # 撤销, 换发: named in the "reason required" message
    run: Callable  # the service: (actor, certificate, reason, request) -> certificate
    done: Callable[[Certificate, Certificate], str]  # (old, result) -> success message


REASONED_ACTIONS = {
    # 撤销: the certificate stays, marked revoked.
    "revoke": ReasonedAction(
        "撤销",
        services.certificate_revoke,
        lambda old, _: f"证书 {old.number} 已撤销。",
    ),
    # 换发: a new certificate (new number and token) replaces this one.
    "reissue": ReasonedAction(
        "换发",
        services.certificate_reissue,
        lambda old, new: f"已换发新证书 {new.number}，原证书 {old.number} 已作废。",
    ),
}


@require_POST
def certificate_action_view(request, pk, action):
    """撤销 or 换发 with a required reason; the service decides who may.

    Goes back to the certificate, or on success to the one the service returns
    (the new certificate after a reissue).
    """
    step = REASONED_ACTIONS.get(action)
    if step is None:
        raise Http404
    certificate = _certificate(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"请填写{step.label}原因。")
        return redirect(certificate_url(certificate))
    try:
        result = step.run(
            actor=request.user,
            certificate=certificate,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect(certificate_url(certificate))
    messages.success(request, step.done(certificate, result))
    return redirect(certificate_url(result))


# --- downloads -------------------------------------------------------------------------


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def certificate_pdf_view(request, pk):
    """证书 PDF (full name printed: audited). Only a valid certificate is printed."""
    certificate = _certificate(request, pk)
    if certificate.display_status() != DisplayStatus.VALID:
        messages.error(
            request,
            f"该证书{DisplayStatus(certificate.display_status()).label}，不能打印。",
        )
        return redirect(certificate_url(certificate))
    content = certificate_pdf([selectors.printed(certificate)])
    audit_record(
        actor=request.user, action="certificate.print", obj=certificate, request=request
    )
    return _pdf_response(content, f"{certificate.number}.pdf")


@require_GET
def certificate_qr_view(request, pk):
    """证书二维码 PNG: the verification URL and the signed payload (masked holder)."""
    certificate = _certificate(request, pk)
    response = HttpResponse(
        qr_png(selectors.certificate_qr_text(certificate)), content_type="image/png"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{certificate.number}.png"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _class(request, pk) -> TrainingClass:
    return access.get_visible_or_404(
        request.user,
        TrainingClass.objects.select_related(
            "course__institution", "course__occupation"
        ),
        pk=pk,
    )


@require_GET
def class_certificates_pdf_view(request, pk):
    """本班证书 PDF: every valid certificate of the class the user may see, audited."""
    training_class = _class(request, pk)
    certificates = list(selectors.certificates_of_class(request.user, training_class))
    if not certificates:
        messages.info(request, f"培训班 {training_class.code} 暂无有效证书可下载。")
        return redirect(class_url(training_class))
    content = certificate_pdf(selectors.printed(c) for c in certificates)
    audit_record_many(
        actor=request.user,
        action="certificate.print",
        objects=certificates,
        after={"batch": training_class.code},
        request=request,
    )
    return _pdf_response(content, f"{training_class.code}-证书.pdf")


# --- issuing for a class ---------------------------------------------------------------


@dataclass
class IssueOptions:
    """What ``user`` may issue for a class: kinds, and organisations for evaluated kinds."""

    kinds: list
    organisations: list
    filed: dict  # kind → organisations filed for it
    level: str


def issue_options(user, training_class) -> IssueOptions:
    course = training_class.course
    kinds, filed = [], {}
    if is_institution_staff(user, course.institution_id):
        kinds.append(CertificateKind.TRAINING)
    org_ids = services.evaluator_organisations(user)
    organisations = list(TrainingInstitution.objects.filter(pk__in=org_ids))
    for kind in services.EVALUATED_KINDS:
        level = course.target_level if kind == CertificateKind.SKILL_LEVEL else ""
        if kind == CertificateKind.SKILL_LEVEL and not level:
            continue
        filed[kind] = [
            org
            for org in organisations
            if services.filed_to_evaluate(org, course.occupation, level)
        ]
        if filed[kind]:
            kinds.append(kind)
    offered = {o.pk for kind in filed for o in filed[kind]}
    return IssueOptions(
        kinds=kinds,
        organisations=[o for o in organisations if o.pk in offered],
        filed=filed,
        level=course.target_level,
    )


def batch_url(batch) -> str:
    return reverse("certificates_batch", args=[batch.pk])


@never_cache
@require_http_methods(["GET", "POST"])
def class_issue_view(request, pk):
    """为本班发证: counts, then a batch issued in the background on confirm."""
    training_class = _class(request, pk)
    options = issue_options(request.user, training_class)
    if not options.kinds:
        return denied(
            request,
            "只有本机构的工作人员或已备案该职业（工种）评价资格的评价机构可以为本班发证。",
            back_url=class_url(training_class),
        )
    form = ClassIssueForm(
        request.POST if request.method == "POST" else None,
        kinds=options.kinds,
        organisations=options.organisations,
    )
    eligible = services.eligible_enrolments(training_class)
    counts = [
        {
            "kind": kind,
            "label": CertificateKind(kind).label,
            "eligible": len(eligible),
            "held": (held := len(services.issued_for(eligible, kind))),
            "to_issue": len(eligible) - held,
            "organisations": options.filed.get(kind, []),
        }
        for kind in options.kinds
    ]
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        organisation = form.cleaned_data.get("organisation")
        to_issue = next(c["to_issue"] for c in counts if c["kind"] == kind)
        if organisation is not None and organisation not in options.filed.get(kind, []):
            form.add_error(
                "organisation",
                "该评价机构未备案本班职业（工种）或等级的评价资格，不能签发。",
            )
        elif not to_issue:
            form.add_error(
                None,
                "本班没有待发证的学员（须在读、考核合格、出勤达标且尚未持有该证书）。",
            )
        else:
            batch = _start_batch(
                request, training_class, kind, organisation, total=len(eligible)
            )
            return redirect(batch_url(batch))
    batches = list(
        IssueBatch.objects.filter(training_class=training_class).order_by(
            "-created_at", "-id"
        )[:5]
    )
    left = []
    for kind in options.kinds:
        people, total = left_out(request.user, training_class, kind)
        left.append(
            {
                "kind": kind,
                "label": CertificateKind(kind).label,
                "people": people,
                "total": total,
                "more": total - len(people),
            }
        )
    return TemplateResponse(
        request,
        "certificates/admin/class_issue.html",
        {
            "training_class": training_class,
            "form": form,
            "counts": counts,
            # 确认发证 is shown disabled, with this reason, while nobody is left to certify.
            "nothing_to_issue": ""
            if any(row["to_issue"] for row in counts)
            else (
                "考核合格的学员都已持有证书。"
                if eligible
                else "本班还没有考核合格且出勤达标的学员。"
            ),
            "level": options.level,
            "batches": batches,
            "left_out": left,
            "inspect_url": class_url(training_class),
            "certificates_url": class_certificates_url(training_class),
        },
    )


def _start_batch(request, training_class, kind, organisation, *, total) -> IssueBatch:
    """One batch per class and kind at a time: a running one is shown, not doubled."""
    running = (
        IssueBatch.objects.filter(
            training_class=training_class, kind=kind, status__in=PENDING
        )
        .order_by("-created_at")
        .first()
    )
    if running is not None:
        messages.info(request, "本班已有一个发证任务正在进行。")
        return running
    batch = IssueBatch.objects.create(
        training_class=training_class,
        kind=kind,
        requested_by=request.user,
        total=total,  # the task corrects it when it starts counting
    )
    job_enqueue(
        IssueBatch,
        batch.pk,
        issue_batch_task,
        organisation.pk if organisation is not None else None,
    )
    return batch


def _batch(request, pk) -> IssueBatch:
    batch = (
        IssueBatch.objects.select_related("training_class__course", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if batch is None or not (
        batch.requested_by_id == request.user.pk or access.can_view(request.user, batch)
    ):
        raise Http404
    return batch


# People listed as left out on the issue and batch pages (the count says how many more).
LEFT_OUT_SHOWN = 200
_NOT_PASSED = {
    "": "未录入考核结果",
    AssessmentResult.FAILED: "考核不合格",
    AssessmentResult.ABSENT: "缺考",
}


@dataclass
class LeftOut:
    name: str  # masked unless the viewer is the class's staff
    id_number: str  # always masked
    reason: str


def left_out(
    user, training_class, kind: str, *, held_before=None
) -> tuple[list[LeftOut], int]:
    """Who among the class's active trainees gets no ``kind`` certificate, and why, by
    the issuing rules (``services.eligible_enrolments``: passed, enough attendance; one
    certificate per fact): the first ``LEFT_OUT_SHOWN`` and the total. With
    ``held_before`` (a batch's start), only certificates issued before it count as
    already held: those the batch issued are not left out. Two queries, whatever the
    size of the class.
    """
    enrolments = list(
        Enrolment.objects.filter(
            training_class=training_class, status=EnrolmentStatus.ENROLLED
        )
        .select_related("trainee")
        .only(
            "pk",
            "attendance_hours",
            "result",
            "training_class_id",
            "trainee__name",
            "trainee__id_number",
        )
        .order_by("trainee__name", "pk")
    )
    for enrolment in enrolments:  # meets_attendance reads the course's hours here
        enrolment.training_class = training_class
    keys = {services.enrolment_fact(e, kind): e.pk for e in enrolments}
    held = Certificate.objects.filter(fact_key__in=list(keys), replaces__isnull=True)
    if held_before is not None:
        held = held.filter(created_at__lt=held_before)
    held_ids = {keys[k] for k in held.values_list("fact_key", flat=True)}
    threshold = attendance_threshold_hours(training_class)
    show_name = is_class_staff(user, training_class)
    out: list[LeftOut] = []
    total = 0
    for e in enrolments:
        if e.result != AssessmentResult.PASSED:
            reason = _NOT_PASSED.get(e.result, "未考核合格")
        elif not meets_attendance(e):
            reason = (
                f"出勤不足（{e.attendance_hours.normalize():f} 课时，"
                f"至少 {threshold.normalize():f} 课时）"
            )
        elif e.pk in held_ids:
            reason = "已有证书（此前已签发）" if held_before else "已持有该证书"
        else:
            continue
        total += 1
        if len(out) < LEFT_OUT_SHOWN:
            name = e.trainee.name if show_name else pii.mask_name(e.trainee.name)
            out.append(LeftOut(name, e.trainee.masked_id_number, reason))
    return out, total


@never_cache
@require_GET
def batch_view(request, pk):
    """批量发证进度: refreshes itself (no JavaScript) while the task runs; once done,
    who was left out and why, and the class's certificates as one PDF."""
    batch = _batch(request, pk)
    pending = batch.status in PENDING
    training_class = batch.training_class
    context = {}
    if batch.status == IssueBatchStatus.DONE:
        people, total = left_out(
            request.user, training_class, batch.kind, held_before=batch.created_at
        )
        context = {
            "left_out": people,
            "left_out_total": total,
            "left_out_more": total - len(people),
            "pdf_url": reverse("certificates_class_pdf", args=[training_class.pk]),
        }
    return TemplateResponse(
        request,
        "certificates/admin/batch.html",
        {
            "batch": batch,
            "pending": pending,
            "summary": batch.summary or {},
            "training_class": training_class,
            "inspect_url": class_url(training_class),
            "issue_url": reverse(
                "certificates_class_issue", args=[batch.training_class_id]
            ),
            "certificates_url": class_certificates_url(training_class),
            **context,
        },
    )


# --- issuing by evaluation decision -----------------------------------------------------


def _trainee_by_id_and_name(id_number: str, name: str) -> Trainee | None:
    """The trainee with this ID number (blind index) and exactly this name."""
    trainee = trainee_find_by_id_number(id_number)
    if trainee is None or "".join(trainee.name.split()) != name:
        return None
    return trainee


# A service's refusal, by its code, shown at the field it is about.
EVALUATION_ERROR_FIELDS = {
    "kind": "kind",
    "level_required": "level",
    "level_not_allowed": "level",
    "reason_required": "reason",
    "issuer_not_qualified": "organisation",
    "expiry_before_issue": "expires_on",
}
NO_SUCH_PERSON = (
    "未找到证件号码与姓名相符的学员。请核对身份证号码和姓名；未登记的人员须先实名注册"
    "或由培训机构登记后再发证。"
)


@never_cache
@require_http_methods(["GET", "POST"])
def evaluation_issue_view(request):
    """评价机构认定发证: one certificate from an evaluator's decision, with its reason.

    The evaluator sees what they typed (ID number and name) again after an error; the
    certificate page afterwards shows the holder masked, so the success message names
    the person as typed.
    """
    org_ids = services.evaluator_organisations(request.user)
    if not org_ids:
        return denied(request, "只有评价机构的工作人员可以认定发证。")
    organisations = list(TrainingInstitution.objects.filter(pk__in=org_ids))
    form = EvaluationIssueForm(
        request.POST if request.method == "POST" else None,
        organisations=organisations,
    )
    if request.method == "POST" and form.is_valid():
        certificate = _issue_by_evaluation(request, form)
        if certificate is not None:
            data = form.cleaned_data
            messages.success(
                request,
                f"已为{data['name']}签发{certificate.get_kind_display()}"
                f"（{certificate.occupation_name}"
                f"{'，' + certificate.get_level_display() if certificate.level else ''}），"
                f"证书编号 {certificate.number}。",
            )
            return redirect(certificate_url(certificate))
    return TemplateResponse(
        request,
        "certificates/admin/evaluation_issue.html",
        {
            "form": form,
            "level_rules": form.level_rules(),
            "index_url": reverse("certificate:index"),
            "import_url": reverse("certificates_evaluation_upload"),
        },
    )


def _issue_by_evaluation(request, form) -> Certificate | None:
    """The certificate the valid form decides, or ``None`` with the refusal at its field."""
    data = form.cleaned_data
    trainee = _trainee_by_id_and_name(data["id_number"], data["name"])
    if trainee is None:
        # One answer for "no such person" and "wrong name": no probing of records.
        form.add_error("id_number", NO_SUCH_PERSON)
        return None
    try:
        return services.certificate_issue_by_evaluation(
            actor=request.user,
            trainee=trainee,
            occupation=data["occupation"],
            level=data["level"],
            reason=data["reason"],
            kind=data["kind"],
            organisation=data["organisation"],
            expires_on=data.get("expires_on"),
            request=request,
        )
    except ValidationError as exc:
        form.add_error(
            EVALUATION_ERROR_FIELDS.get(getattr(exc, "code", None)), error_text(exc)
        )
    except PermissionDenied as exc:
        form.add_error(None, error_text(exc))
    return None


# --- the certificate page --------------------------------------------------------------

HISTORY_SHOWN = 200
VERIFICATIONS_SHOWN = 50

ACTION_LABELS = {
    "certificate.issue": "签发",
    "certificate.revoke": "撤销",
    "certificate.supersede": "换发（本证作废）",
    "certificate.print": "打印/下载",
}


def _actor_label(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def certificate_page_context(request, certificate) -> dict:
    """Everything the certificate page shows, in a fixed number of queries."""
    user = request.user
    enrolment = certificate.enrolment
    training_class = enrolment.training_class if enrolment else None
    record = None
    if enrolment is not None:
        course = training_class.course
        threshold = attendance_threshold_hours(training_class)
        record = {
            "enrolment": enrolment,
            "training_class": training_class,
            "course": course,
            "institution": course.institution,
            "class_url": class_url(training_class)
            if access.can_view(user, training_class)
            else "",
            "hours": enrolment.attendance_hours,
            "course_hours": course.hours,
            "threshold": threshold.normalize(),
            "meets": enrolment.attendance_hours >= threshold,
            "result": enrolment.get_result_display() or "未录入",
            "score": enrolment.score,
            "assessed_at": enrolment.assessed_at,
        }
    history = [
        {
            "at": event.at,
            "action": ACTION_LABELS.get(event.action, event.action),
            "actor": _actor_label(event.actor),
            "reason": event.reason,
            "own": event.object_id == str(certificate.pk),
            "object_id": event.object_id,
        }
        for event in selectors.certificate_history(certificate)[:HISTORY_SHOWN]
    ]
    can_manage = certificate.status == CertificateStatus.VALID and may_manage(
        user, certificate
    )
    show_verifications = user.has_perm("certificates.view_verificationlog")
    # verifications_of() is sliced, so scope the same query before slicing.
    verifications = (
        list(
            access.visible(
                user, VerificationLog.objects.filter(certificate=certificate)
            )[:VERIFICATIONS_SHOWN]
        )
        if show_verifications
        else []
    )
    status = certificate.display_status()
    return {
        "certificate": certificate,
        "status": status,
        "status_label": DisplayStatus(status).label,
        "record": record,
        "sections": record_sections(request, certificate),
        "history": history,
        "history_more": len(history) >= HISTORY_SHOWN,
        "show_verifications": show_verifications,
        "verifications": verifications,
        "verification_log_url": reverse("verificationlog:index")
        + "?"
        + urlencode({"number": certificate.number})
        if show_verifications
        else "",
        "can_manage": can_manage,
        "revoke_url": reverse("certificates_revoke", args=[certificate.pk]),
        "reissue_url": reverse("certificates_reissue", args=[certificate.pk]),
        "reason_form": ReasonForm(),
        "pdf_url": reverse("certificates_pdf", args=[certificate.pk])
        if status == DisplayStatus.VALID
        else "",
        "qr_url": reverse("certificates_qr", args=[certificate.pk]),
        "verify_url": selectors.verify_url(certificate.token),
        "replaces_url": certificate_url(certificate.replaces)
        if certificate.replaces_id
        else "",
        "superseded_by_url": certificate_url(certificate.superseded_by)
        if certificate.superseded_by_id
        else "",
        "issued_by": _actor_label(certificate.issued_by)
        if certificate.issued_by_id
        else "",
    }
