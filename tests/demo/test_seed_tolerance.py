"""`make run` seeds over whatever users did through the screens: it creates only what is
missing, skips with a note what the rules now refuse, and never stops."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from bases.models import (
    QualificationStatus,
    SkillMasterStudio,
    StaffMembership,
    TrainingBase,
    TrainingInstitution,
)
from certificates import services as certificate_services
from certificates.models import Certificate, CertificateStatus
from courses import services as course_services
from courses.models import ClassStatus, Course, Enrolment, TrainingClass
from demo import services as demo_services
from demo.selectors import demo_info
from demo.services import demo_seed
from trainees.models import KeyGroupMembership, Trainee

pytestmark = pytest.mark.django_db

INST_A = "贵阳黔匠职业技能培训学校"
EVALUATION_CENTRE = "贵州筑匠职业技能评价中心有限公司"
TEA_STUDIO = "田春燕茶艺技能大师工作室"


def seed_command() -> tuple[dict, str]:
    """Run `manage.py seed_demo` as `make run` does: (summary, what went to stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=out, stderr=err)  # raises on any failure
    return json.loads(out.getvalue().splitlines()[-1]), err.getvalue()


def user(username):
    return get_user_model().objects.get(username=username)


def suspend(name):
    # What the bureau's qualification screen does to the row.
    TrainingInstitution.objects.filter(name=name).update(
        status=QualificationStatus.SUSPENDED
    )


def counts() -> dict:
    return {
        "institutions": TrainingInstitution.objects.count(),
        "courses": Course.objects.count(),
        "trainees": Trainee.objects.count(),
        "key_groups": KeyGroupMembership.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "certificates": Certificate.objects.count(),
        "bases": TrainingBase.objects.count(),
    }


def test_seeding_again_after_screen_changes_keeps_them_and_never_fails():
    demo_seed()
    valid = next(c for c in demo_info()["certificates"] if c["state"] == "valid")
    # --- what users did through the screens ---------------------------------------
    inst_a = user("inst_a")
    demo_001 = TrainingClass.objects.get(code="DEMO-001")
    course_services.class_cancel(actor=inst_a, training_class=demo_001)
    certificate_services.certificate_revoke(
        actor=user("bureau_gz"),
        certificate=Certificate.objects.get(token=valid["token"]),
        reason="核查发现材料不实",
    )
    suspend(INST_A)
    suspend(EVALUATION_CENTRE)
    TrainingClass.objects.filter(code="DEMO-002").update(capacity=70)
    user("auditor").memberships.update(is_active=False)
    for username in ("inst_b", "trainee"):
        user(username).delete()
    renamed = user("evaluator")
    renamed.username = "evaluator_old"
    renamed.save()
    SkillMasterStudio.objects.filter(name=TEA_STUDIO).delete()
    TrainingClass.objects.filter(code__in=["GY-2026-005", "GY-2026-010"]).delete()
    before = counts()

    summary, _notes = seed_command()

    # Nothing a user changed is put back.
    assert TrainingInstitution.objects.get(name=INST_A).status == "suspended"
    assert TrainingClass.objects.get(code="DEMO-001").status == ClassStatus.CANCELLED
    assert TrainingClass.objects.get(code="DEMO-002").capacity == 70
    assert (
        Certificate.objects.get(token=valid["token"]).status
        == CertificateStatus.REVOKED
    )
    assert not user("auditor").memberships.filter(is_active=True).exists()
    assert user("evaluator_old").memberships.filter(role="evaluator").exists()
    # Nothing is duplicated.
    after = counts()
    assert after == before, summary["skipped"]
    assert TrainingClass.objects.filter(code="DEMO-001").count() == 1
    # What is missing is back where the rules allow it.
    inst_b = user("inst_b")
    assert inst_b.memberships.get(role="institution").institution.name == (
        "遵义市红花岗区红城职业技能培训学校"
    )
    assert user("evaluator").memberships.filter(role="evaluator").exists()
    assert Trainee.objects.filter(user__username="trainee").exists()
    assert SkillMasterStudio.objects.filter(name=TEA_STUDIO).count() == 1
    # The housekeeping school is still approved: its class comes back.
    assert TrainingClass.objects.filter(code="GY-2026-010").count() == 1, summary
    assert TrainingClass.objects.filter(code="GY-2026-005").count() <= 1
    assert summary["created"]["classes"] in (1, 2)
    assert summary["created"]["trainees"] == 0
    assert summary["created"]["certificates"] == 0
    assert isinstance(summary["skipped"], list)

    # And once more: nothing left to create, still no failure.
    again, _ = seed_command()
    assert set(again["created"].values()) == {0}
    assert counts() == after


def test_steps_the_rules_now_refuse_are_skipped_with_a_note(monkeypatch):
    # The data set as an earlier version left it: no certificates yet.
    monkeypatch.setattr(demo_services, "seed_certificates", lambda notes=None: None)
    # nor the competition (issue 12), whose awards are certificates too
    monkeypatch.setattr("demo.competitions.seed_competitions", lambda notes=None: None)
    # nor the plan-period history (issue 13), whose people hold certificates
    monkeypatch.setattr(
        "demo.plan_history.seed_plan_history", lambda institutions, notes=None: None
    )
    demo_seed()
    monkeypatch.undo()
    assert not Certificate.objects.exists()
    suspend(INST_A)
    suspend(EVALUATION_CENTRE)

    summary, notes = seed_command()

    # GY-2026-003 belongs to the suspended school and the evaluation centre is
    # suspended: skipped with a note. ZY-2026-007's school is fine: issued.
    skipped = "\n".join(summary["skipped"])
    assert "GY-2026-003" in skipped
    assert "技能等级证书" in skipped
    assert "暂停" in skipped  # the reason the rules gave
    assert "GY-2026-003" in notes  # written out as it happened (stderr)
    issued = Certificate.objects.filter(enrolment__training_class__code="ZY-2026-007")
    assert issued.exists()
    assert not Certificate.objects.filter(
        enrolment__training_class__code="GY-2026-003"
    ).exists()
    assert not StaffMembership.objects.filter(user__username="trainee").exists()

    # Approved again, the next start issues what was skipped, once.
    TrainingInstitution.objects.filter(name__in=[INST_A, EVALUATION_CENTRE]).update(
        status=QualificationStatus.APPROVED
    )
    summary, _ = seed_command()
    assert Certificate.objects.filter(
        enrolment__training_class__code="GY-2026-003"
    ).exists()
    assert summary["skipped"] == []
    total = Certificate.objects.count()
    seed_command()
    assert Certificate.objects.count() == total
