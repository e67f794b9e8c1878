"""Demo certificates in every state (SPEC §6), issued through the real services.

Training certificates for the two finished classes; skill-level certificates from the
demo evaluation centre (one of them long expired); then one revoked and one reissued
(so its original is superseded). Repeat-safe: issuing is, and a revocation or reissue
happens only while its certificate is still valid. Nothing already issued is asked for
again, and a step the rules refuse now (the issuer suspended, its staff switched off)
is skipped with a note.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from certificates import selectors, services
from certificates.models import Certificate, CertificateStatus, DisplayStatus
from courses.models import AssessmentResult, Enrolment, TrainingClass
from demo.skips import SeedNotes
from training_platform.reference.models import CertificateKind, Occupation, SkillLevel

TRAINING_CLASSES = (("GY-2026-003", "inst_a"), ("ZY-2026-007", "inst_b"))
ELDER_CARE = "4-10-01-05"
REVOKE_REASON = "经核查，该学员考核材料不实，撤销证书。"
REISSUE_REASON = "持证人姓名更正，换发新证。"


def _passed(code: str) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(
            training_class__code=code, result=AssessmentResult.PASSED
        )
        .select_related("trainee")
        .order_by("pk")
    )


def seed_certificates(notes: SeedNotes | None = None) -> None:
    notes = notes or SeedNotes()
    users = get_user_model().objects.in_bulk(
        ["inst_a", "inst_b", "evaluator"], field_name="username"
    )
    classes = TrainingClass.objects.in_bulk(
        [code for code, _ in TRAINING_CLASSES], field_name="code"
    )
    for code, staff in TRAINING_CLASSES:
        if code not in classes or staff not in users:
            continue
        eligible = services.eligible_enrolments(classes[code])
        issued = services.issued_for(eligible, CertificateKind.TRAINING)
        if all(enrolment.pk in issued for enrolment in eligible):
            continue
        with notes.attempt(f"培训班 {code} 的培训合格证书"):
            services.certificate_issue_for_class(
                actor=users[staff], training_class=classes[code]
            )
    evaluator = users.get("evaluator")
    passed = _passed("GY-2026-003")
    occupation = Occupation.objects.filter(code=ELDER_CARE).first()
    if evaluator is not None and occupation is not None and len(passed) >= 3:
        today = timezone.localdate()
        for number, enrolment in enumerate(passed[:3]):
            if Certificate.objects.filter(
                trainee=enrolment.trainee,
                occupation=occupation,
                kind=CertificateKind.SKILL_LEVEL,
            ).exists():
                continue  # issued before (and perhaps revoked or reissued since)
            expired = number == 2
            with notes.attempt(f"{enrolment.trainee.name} 的技能等级证书"):
                services.certificate_issue_by_evaluation(
                    actor=evaluator,
                    trainee=enrolment.trainee,
                    occupation=occupation,
                    level=SkillLevel.LEVEL_4,
                    reason="理论与操作技能考核均合格（评价计划 GZ-PJ-2026-018）。",
                    issued_on=today - dt.timedelta(days=1200 if expired else 20),
                    expires_on=today - dt.timedelta(days=30) if expired else None,
                )
    _revoke_and_reissue(users, notes)


def _valid_training_certificate(code: str, index: int) -> Certificate | None:
    certificates = list(
        Certificate.objects.filter(
            enrolment__training_class__code=code,
            kind=CertificateKind.TRAINING,
            replaces__isnull=True,
        ).order_by("enrolment_id")
    )
    return certificates[index] if len(certificates) > index else None


def _revoke_and_reissue(users, notes: SeedNotes) -> None:
    revoke = _valid_training_certificate("ZY-2026-007", 1)
    if (
        revoke is not None
        and revoke.status == CertificateStatus.VALID
        and "inst_b" in users
    ):
        with notes.attempt(f"撤销证书 {revoke.number}"):
            services.certificate_revoke(
                actor=users["inst_b"], certificate=revoke, reason=REVOKE_REASON
            )
    reissue = _valid_training_certificate("GY-2026-003", 3)
    if (
        reissue is not None
        and reissue.status == CertificateStatus.VALID
        and "inst_a" in users
    ):
        with notes.attempt(f"换发证书 {reissue.number}"):
            services.certificate_reissue(
                actor=users["inst_a"], certificate=reissue, reason=REISSUE_REASON
            )


def demo_certificates() -> list[dict]:
    """One certificate in each state, as demo_info lists them."""
    candidates = (
        Certificate.objects.filter(
            enrolment__training_class__code__in=[c for c, _ in TRAINING_CLASSES]
        )
        | Certificate.objects.filter(issuer__name__contains="评价中心")
    ).select_related("occupation", "trainee__user")
    chosen: dict[str, Certificate] = {}
    for certificate in candidates.order_by("pk"):
        state = certificate.display_status()
        # Prefer the demo trainee's own certificate for "valid": it shows under /me/.
        mine = (
            certificate.trainee.user and certificate.trainee.user.username == "trainee"
        )
        if state not in chosen or (state == DisplayStatus.VALID and mine):
            chosen[state] = certificate
    return [
        {
            "state": state.value,
            "number": chosen[state].number,
            "token": chosen[state].token,
            "verification_url": selectors.verify_url(chosen[state].token),
            "qr_text": selectors.certificate_qr_text(chosen[state]),
        }
        for state in DisplayStatus
        if state in chosen
    ]
