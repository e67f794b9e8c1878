"""Back-office: activation codes (who may issue them, audited) and the claimed state of
a record in the list, the export and the record's page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    InstitutionFactory,
    TraineeFactory,
    TrainingClassFactory,
    UserFactory,
    make_id_number,
    region,
    staff_user,
)
from trainees.models import ActivationCode
from trainees.services import activation_code_hash
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db

CODE = re.compile(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}")


@pytest.fixture
def trainee():
    return TraineeFactory(
        name="李四",
        id_number=make_id_number("520103"),
        household_region=region("520103"),
    )


def _url(trainee):
    return reverse("trainee_activation_code", args=[trainee.pk])


def _enrolled_at(trainee, institution):
    EnrolmentFactory(
        trainee=trainee,
        training_class=TrainingClassFactory(
            course=CourseFactory(institution=institution)
        ),
    )


def _issued_code(response) -> str:
    assert response.status_code == 200, response.content.decode()[:500]
    return CODE.search(response.content.decode()).group(0)


def test_bureau_of_the_region_issues_a_code_shown_once_and_audited(client, trainee):
    bureau = staff_user(Role.BUREAU, region_code="520100")
    client.force_login(bureau)
    inspect = client.get(reverse("trainees:inspect", args=[trainee.pk]))
    assert _url(trainee) in inspect.content.decode()
    assert client.get(_url(trainee)).status_code == 405  # POST only
    response = client.post(_url(trainee))
    code = _issued_code(response)
    assert response.headers["Cache-Control"].startswith("max-age=0")
    activation = ActivationCode.objects.get(trainee=trainee)
    assert activation.code_hash == activation_code_hash(code)
    assert activation.created_by == bureau
    assert activation.expires_at > timezone.now()
    event = AuditEvent.objects.get(action="trainee.activation_code_issue")
    assert event.actor == bureau
    assert event.object_id == str(trainee.pk)
    assert code not in str(event.after)
    assert code.replace("-", "") not in str(event.after)


def test_staff_of_an_institution_where_the_person_is_enrolled_issue_a_code(
    client, trainee
):
    institution = InstitutionFactory(region=region("520102"))
    _enrolled_at(trainee, institution)
    staff = staff_user(Role.INSTITUTION, institution=institution)
    client.force_login(staff)
    _issued_code(client.post(_url(trainee)))
    assert AuditEvent.objects.filter(
        action="trainee.activation_code_issue", actor=staff
    ).exists()


def test_staff_out_of_scope_cannot_issue(client, trainee):
    _enrolled_at(trainee, InstitutionFactory(region=region("520102")))
    outsiders = [
        staff_user(Role.INSTITUTION, institution=InstitutionFactory()),
        staff_user(Role.BUREAU, region_code="520300"),  # another prefecture
    ]
    for user in outsiders:
        client.force_login(user)
        assert client.post(_url(trainee)).status_code == 404
    assert not ActivationCode.objects.exists()
    assert not AuditEvent.objects.filter(
        action="trainee.activation_code_issue"
    ).exists()


def test_who_sees_but_may_not_issue_is_refused(client, trainee):
    auditor = staff_user(Role.AUDITOR, region_code="520100")
    client.force_login(auditor)
    inspect = client.get(reverse("trainees:inspect", args=[trainee.pk]))
    assert inspect.status_code == 200
    assert _url(trainee) not in inspect.content.decode()
    response = client.post(_url(trainee))
    # Wagtail answers a PermissionDenied in its admin with a redirect to the dashboard.
    assert (response.status_code, response.headers.get("Location")) in (
        (403, None),
        (302, "/admin/"),
    )
    assert not CODE.search(response.content.decode())
    assert not ActivationCode.objects.exists()


def test_no_code_for_a_record_that_already_has_an_account(client):
    trainee = TraineeFactory(household_region=region("520103"), user=UserFactory())
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    inspect = client.get(reverse("trainees:inspect", args=[trainee.pk]))
    assert _url(trainee) not in inspect.content.decode()
    response = client.post(_url(trainee))
    assert response.status_code == 302
    assert "已开通账号" in client.get(response.headers["Location"]).content.decode()
    assert not ActivationCode.objects.exists()


def test_list_export_and_page_show_that_a_record_was_claimed(client, trainee):
    claimed_at = timezone.now()
    trainee.user = UserFactory()
    trainee.claimed_at = claimed_at
    trainee.save()
    TraineeFactory(name="王五", household_region=region("520103"))
    client.force_login(staff_user(Role.BUREAU, region_code="520100"))
    listing = client.get(reverse("trainees:index")).content.decode()
    assert "已认领" in listing
    assert "未开通" in listing
    export = client.get(reverse("trainees:index"), {"export": "csv"})
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert "认领时间" in rows[0]
    assert "账号" in rows[0]
    claimed_row = next(r for r in rows if r.startswith("李四"))
    assert "已认领" in claimed_row
    assert str(timezone.localtime(claimed_at).year) in claimed_row
    page = client.get(reverse("trainees:inspect", args=[trainee.pk])).content.decode()
    assert "认领时间" in page
    assert "已认领" in page
