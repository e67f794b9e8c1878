"""What waits on the back-office home for certificates' work (training_platform/home.py).

Institution staff: finished classes with trainees who passed and hold no training
certificate yet (为本班发证). Evaluators: the decisions to make — finished classes they
may see in an occupation their organisation is filed to evaluate, with passed trainees
who hold no evaluated certificate — and what they issued lately. Auditors: recent
verifications and spot checks (certificates revoked, reissued or issued by evaluation
in the last 30 days), in their region.

The counts of people waiting leave the attendance rule to the issuing page (it lists
who is left out and why); a class is listed if anyone passed and holds no certificate.
"""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from bases.models import InstitutionOccupation
from certificates import services
from certificates.models import (
    Certificate,
    CertificateKind,
    CertificateStatus,
    IssueBasis,
    VerificationLog,
    VerificationOutcome,
)
from courses.models import (
    AssessmentResult,
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    TrainingClass,
)
from training_platform import access
from training_platform.home import (
    ORDER_DECISIONS,
    ORDER_WATCH,
    ORDER_WORK,
    ROWS_SHOWN,
    HomePanel,
    HomeRow,
    HomeSection,
)
from training_platform.roles import Role

RECENT_DAYS = 30  # spot checks look back this far
VERIFICATIONS_DAYS = 7


def certificate_url(certificate_id: int) -> str:
    return reverse("certificate:inspect", args=[certificate_id])


def _without_certificate(kinds) -> Subquery:
    """Per class: how many active, passed enrolments hold no certificate of ``kinds``."""
    held = Certificate.objects.filter(enrolment=OuterRef("pk"), kind__in=kinds)
    waiting = (
        Enrolment.objects.filter(
            training_class=OuterRef("pk"),
            status=EnrolmentStatus.ENROLLED,
            result=AssessmentResult.PASSED,
        )
        .filter(~Exists(held))
        .order_by()
        .values("training_class")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(waiting, output_field=IntegerField())


def _classes_to_certify(classes, kinds, *, key, heading, empty, action, order, links):
    classes = (
        classes.filter(status=ClassStatus.FINISHED)
        .annotate(waiting=_without_certificate(kinds))
        .filter(waiting__gt=0)
    )
    count = classes.count()
    shown = (
        classes.select_related("course__institution").order_by("-end_date", "code")[
            :ROWS_SHOWN
        ]
        if count
        else []
    )
    rows = [
        HomeRow(
            label=f"{c.code} {c.course.title}",
            url=reverse("trainingclass:inspect", args=[c.pk]),
            detail=(
                f"{c.course.institution.name} · 结业 {c.end_date:%Y-%m-%d} · "
                f"考核合格未发证 {c.waiting} 人"
            ),
            action=action,
            action_url=reverse("certificates_class_issue", args=[c.pk]),
        )
        for c in shown
    ]
    more = reverse("trainingclass:index") + "?" + urlencode({"status": "finished"})
    return HomePanel(
        key=key,
        heading=heading,
        sections=[
            HomeSection("已结业", count, rows, measure="个培训班", more_url=more)
        ],
        measure="个培训班",
        empty=empty,
        order=order,
        links=links,
    )


def institution_certificates_panel(request) -> list[HomePanel]:
    ids = access.scope_for(request.user).institution_ids(Role.INSTITUTION)
    if not ids:
        return []
    classes = access.visible(request.user, TrainingClass).filter(
        course__institution_id__in=ids
    )
    return [
        _classes_to_certify(
            classes,
            [CertificateKind.TRAINING],
            key="institution-certificates",
            heading="可发证的培训班",
            empty="没有等待发证的培训班：已结业班级的合格学员都已发证。",
            action="为本班发证",
            order=ORDER_WORK + 20,
            links=[],
        )
    ]


def evaluator_panels(request) -> list[HomePanel]:
    org_ids = services.evaluator_organisations(request.user)
    if not org_ids:
        return []
    filed = InstitutionOccupation.objects.filter(
        institution_id__in=org_ids, can_evaluate=True
    ).values("occupation_id")
    classes = access.visible(request.user, TrainingClass).filter(
        course__occupation_id__in=Subquery(filed)
    )
    decisions = _classes_to_certify(
        classes,
        list(services.EVALUATED_KINDS),
        key="evaluator-classes",
        heading="待认定发证",
        empty="没有等待认定发证的培训班。单个人员的认定结果请用“认定发证”录入。",
        action="认定发证",
        order=ORDER_DECISIONS,
        links=[("认定发证（单个人员）", reverse("certificates_evaluate"))],
    )
    decisions.description = (
        "本机构已备案评价资格的职业（工种）中，已结业、有考核合格学员尚未取得"
        "职业技能等级证书或专项职业能力证书的培训班。"
    )
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    issued = Certificate.objects.filter(
        issuer_id__in=org_ids, basis=IssueBasis.EVALUATION, created_at__gte=since
    )
    count = issued.count()
    shown = issued.order_by("-created_at", "-pk")[:ROWS_SHOWN] if count else []
    recent = HomePanel(
        key="evaluator-issued",
        heading=f"近 {RECENT_DAYS} 天认定发证",
        sections=[
            HomeSection(
                "已签发",
                count,
                [_certificate_row(c) for c in shown],
                measure="张证书",
                more_url=reverse("certificate:index"),
            )
        ],
        measure="张证书",
        empty=f"近 {RECENT_DAYS} 天没有认定发证。",
        order=ORDER_WATCH,
    )
    return [decisions, recent]


def _certificate_row(c: Certificate, when: str = "") -> HomeRow:
    kind = CertificateKind(c.kind).label
    return HomeRow(
        label=f"{c.number} · {c.holder_name}",
        url=certificate_url(c.pk),
        detail=" · ".join(
            part for part in (kind, c.occupation_name, c.issuer_name, when) if part
        ),
    )


# --- auditors --------------------------------------------------------------------------


def auditor_panels(request) -> list[HomePanel]:
    scope = access.scope_for(request.user)
    if not scope.has(Role.AUDITOR):
        return []
    return [_verifications_panel(request), _spot_checks_panel(request)]


def _verifications_panel(request) -> HomePanel:
    since = timezone.now() - dt.timedelta(days=VERIFICATIONS_DAYS)
    log = access.visible(request.user, VerificationLog).filter(at__gte=since)
    totals = log.aggregate(
        n=Count("pk"),
        odd=Count(
            "pk",
            filter=Q(
                outcome__in=[
                    VerificationOutcome.NOT_FOUND,
                    VerificationOutcome.TAMPERED,
                ]
            ),
        ),
    )
    shown = (
        log.select_related("certificate").order_by("-at", "-id")[:ROWS_SHOWN]
        if totals["n"]
        else []
    )
    index = reverse("verificationlog:index")
    rows = []
    for entry in shown:
        outcome = VerificationOutcome(entry.outcome).label
        odd = entry.outcome in (
            VerificationOutcome.NOT_FOUND,
            VerificationOutcome.TAMPERED,
        )
        rows.append(
            HomeRow(
                label=(
                    f"{entry.certificate.number} · {outcome}"
                    if entry.certificate
                    else f"未匹配到证书 · {outcome}"
                ),
                url=certificate_url(entry.certificate_id)
                if entry.certificate
                else index,
                detail=(
                    f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M} · "
                    f"{entry.get_channel_display()}"
                ),
                flag="需关注" if odd else "",
            )
        )
    panel = HomePanel(
        key="auditor-verifications",
        heading=f"近 {VERIFICATIONS_DAYS} 天的核验",
        sections=[HomeSection("核验记录", totals["n"], rows, more_url=index)],
        empty=f"近 {VERIFICATIONS_DAYS} 天本辖区没有核验记录。",
        order=ORDER_WATCH,
        links=[("查看全部核验记录", index)],
    )
    if totals["odd"]:
        panel.description = (
            f"其中 {totals['odd']} 条未找到证书或签名无效，可能是伪造或批量试探。"
        )
    return panel


def _spot_checks_panel(request) -> HomePanel:
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    visible = access.visible(request.user, Certificate)
    groups = (
        (
            "撤销",
            visible.filter(status=CertificateStatus.REVOKED, revoked_at__gte=since),
            "-revoked_at",
            "revoked",
        ),
        (
            "换发",
            visible.filter(
                status=CertificateStatus.SUPERSEDED, superseded_at__gte=since
            ),
            "-superseded_at",
            "superseded",
        ),
        (
            "评价机构认定发证",
            visible.filter(basis=IssueBasis.EVALUATION, created_at__gte=since),
            "-created_at",
            "",
        ),
    )
    sections = []
    for heading, queryset, order, status in groups:
        count = queryset.count()
        shown = queryset.order_by(order, "-pk")[:ROWS_SHOWN] if count else []
        more = reverse("certificate:index") + (
            "?" + urlencode({"status": status}) if status else ""
        )
        sections.append(
            HomeSection(
                heading,
                count,
                [_certificate_row(c) for c in shown],
                measure="张证书",
                more_url=more,
            )
        )
    return HomePanel(
        key="auditor-spot-checks",
        heading=f"抽查：近 {RECENT_DAYS} 天的撤销、换发和认定发证",
        sections=sections,
        measure="张证书",
        empty=f"近 {RECENT_DAYS} 天本辖区没有撤销、换发或认定发证的证书。",
        order=ORDER_WATCH + 10,
    )
