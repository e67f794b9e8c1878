"""A certificate says the occupation name it was issued under, whatever the reference
data is renamed to later — on every issuing path and everywhere the certificate shows."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from certificates import services
from certificates.models import Certificate
from courses.models import AssessmentResult, ClassStatus
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    evaluation_org,
    region,
    staff_user,
)
from training_platform.reference.models import CertificateKind, Occupation, SkillLevel
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

ELECTRICIAN = "6-31-01-03"
OLD_NAME = "电工"
NEW_NAME = "电气设备安装调试员"


def electrician():
    return Occupation.objects.get(code=ELECTRICIAN)


def rename_occupation():
    """What the province bureau's edit screen does to the reference row."""
    occupation = electrician()
    occupation.name = NEW_NAME
    occupation.save()


def passed(training_class, **trainee):
    return EnrolmentFactory(
        training_class=training_class,
        trainee=TraineeFactory(**trainee),
        attendance_hours=Decimal(80),
        score=Decimal(90),
        result=AssessmentResult.PASSED,
    )


@pytest.fixture
def world():
    institution = InstitutionFactory(region=region("520102"))
    training_class = TrainingClassFactory(
        course=CourseFactory(
            institution=institution, hours=80, occupation=electrician()
        ),
        status=ClassStatus.RUNNING,
    )
    org = evaluation_org(max_level=SkillLevel.LEVEL_3, region=region("520302"))
    return {
        "institution": institution,
        "class": training_class,
        "staff": staff_user(Role.INSTITUTION, institution=institution),
        "evaluator": staff_user(Role.EVALUATOR, institution=org),
        "province": staff_user(Role.BUREAU, region_code="520000"),
    }


def issue_on_every_path(w) -> dict[str, Certificate]:
    one = passed(w["class"])
    made = {
        "enrolment": services.certificate_issue_for_enrolment(
            actor=w["staff"], enrolment=one
        )
    }
    batch = [passed(w["class"]) for _ in range(3)]
    summary = services.certificate_issue_for_class(
        actor=w["staff"], training_class=w["class"]
    )
    assert summary.issued == 3
    made["class"] = Certificate.objects.get(enrolment=batch[0])
    made["evaluation"] = services.certificate_issue_by_evaluation(
        actor=w["evaluator"],
        trainee=TraineeFactory(),
        occupation=electrician(),
        level=SkillLevel.LEVEL_4,
        reason="理论和实操考核均合格",
    )
    made["award"] = services.certificate_issue_for_award(
        actor=w["province"],
        trainee=TraineeFactory(),
        award_key="2026-gz-electric-1",
        occupation=electrician(),
        issuer_name="贵州省职业技能大赛组委会",
        title="一等奖",
    )
    return made


def test_every_issuing_path_freezes_the_occupation_name(world):
    made = issue_on_every_path(world)
    assert Certificate.objects.exclude(occupation_name=OLD_NAME).count() == 0
    assert Certificate.objects.count() == 6

    rename_occupation()

    for path, certificate in made.items():
        certificate.refresh_from_db()
        assert certificate.occupation_name == OLD_NAME, path
        assert certificate.occupation_id == ELECTRICIAN, path
    # A reissue re-reads the holder but keeps the name the fact was certified under.
    new = services.certificate_reissue(
        actor=world["staff"], certificate=made["enrolment"], reason="证书遗失"
    )
    new.refresh_from_db()
    assert new.occupation_name == OLD_NAME
    assert new.occupation_id == ELECTRICIAN


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_renaming_after_issue_changes_no_view_of_the_certificate(client, world):
    holder = TraineeFactory(name="王小明", user=UserFactory())
    enrolment = passed(world["class"])
    certificate = services.certificate_issue_by_evaluation(
        actor=world["evaluator"],
        trainee=holder,
        occupation=electrician(),
        level=SkillLevel.LEVEL_4,
        reason="理论和实操考核均合格",
    )
    training = services.certificate_issue_for_enrolment(
        actor=world["staff"], enrolment=enrolment
    )
    rename_occupation()

    # The public page and the JSON API.
    page = client.get(f"/verify/{certificate.token}/").content.decode()
    assert OLD_NAME in page and ELECTRICIAN in page
    assert NEW_NAME not in page
    body = client.get(f"/api/v1/certificates/{certificate.token}").json()
    assert body["occupation_name"] == OLD_NAME
    assert body["occupation_code"] == ELECTRICIAN
    # By number, name and ID number.
    query = client.post(
        "/verify/",
        {
            "number": certificate.number,
            "name": holder.name,
            "id_number": holder.id_number,
        },
    ).content.decode()
    assert OLD_NAME in query and NEW_NAME not in query

    # The holder's own pages and PDF.
    client.force_login(holder.user)
    me = client.get("/me/").content.decode()
    assert OLD_NAME in me and NEW_NAME not in me
    mine = client.get(f"/me/certificates/{certificate.token}/").content.decode()
    assert OLD_NAME in mine and NEW_NAME not in mine
    pdf = client.get(f"/me/certificates/{certificate.token}/certificate.pdf")
    text = pdf_text(pdf.content)
    assert f"{OLD_NAME}（{ELECTRICIAN}）" in text
    assert NEW_NAME not in text

    # The back office: certificate page, PDF, the class's PDF, the list and exports.
    client.force_login(world["province"])
    inspect = client.get(reverse("certificate:inspect", args=[certificate.pk]))
    assert OLD_NAME in inspect.content.decode()
    assert NEW_NAME not in inspect.content.decode()
    staff_pdf = client.get(reverse("certificates_pdf", args=[certificate.pk]))
    assert staff_pdf.status_code == 200
    assert NEW_NAME not in pdf_text(staff_pdf.content)
    assert OLD_NAME in pdf_text(staff_pdf.content)
    client.force_login(world["staff"])
    class_pdf = client.get(reverse("certificates_class_pdf", args=[world["class"].pk]))
    assert class_pdf.status_code == 200
    assert training.number in pdf_text(class_pdf.content)
    assert NEW_NAME not in pdf_text(class_pdf.content)
    client.force_login(world["province"])
    listing = client.get(reverse("certificate:index")).content.decode()
    assert certificate.number in listing and NEW_NAME not in listing
    export = client.get(reverse("certificate:index") + "?export=csv")
    rows = list(
        csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")))
    )
    row = next(r for r in rows if certificate.number in r)
    assert OLD_NAME in row and ELECTRICIAN in row
    assert not any(NEW_NAME in cell for r in rows for cell in r)
    # The list filter finds it by the name it carries.
    found = client.get(reverse("certificate:index"), {"occupation": OLD_NAME})
    assert certificate.number in found.content.decode()


def test_the_signed_qr_payload_carries_the_code_only(world):
    from certificates.selectors import qr_payload

    certificate = services.certificate_issue_by_evaluation(
        actor=world["evaluator"],
        trainee=TraineeFactory(),
        occupation=electrician(),
        level=SkillLevel.LEVEL_4,
        reason="理论和实操考核均合格",
    )
    before = qr_payload(certificate)
    rename_occupation()
    certificate.refresh_from_db()
    assert qr_payload(certificate) == before
    assert before.occupation_code == ELECTRICIAN


def test_the_migration_fills_existing_certificates_from_the_current_name(world):
    import importlib

    from django.apps import apps

    certificate = services.certificate_issue_by_evaluation(
        actor=world["evaluator"],
        trainee=TraineeFactory(),
        occupation=electrician(),
        level=SkillLevel.LEVEL_4,
        reason="理论和实操考核均合格",
    )
    Certificate.objects.filter(pk=certificate.pk).update(occupation_name="")
    import pkgutil

    import certificates.migrations

    (name,) = [
        m.name
        for m in pkgutil.iter_modules(certificates.migrations.__path__)
        if m.name.endswith("_certificate_occupation_name")
    ]
    migration = importlib.import_module(f"certificates.migrations.{name}")
    migration.fill_occupation_names(apps, None)
    certificate.refresh_from_db()
    assert certificate.occupation_name == OLD_NAME
    assert certificate.kind == CertificateKind.SKILL_LEVEL
