"""Issuing a certificate by evaluation decision (evaluators only)."""

import pytest
from django.urls import reverse

from certificates.models import Certificate
from tests.certificates.admin_world import (
    ELECTRICIAN,
    assert_denied,
    inspect_url,
    login,
)
from tests.factories import TraineeFactory
from training_platform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def evaluation_data(trainee, **changes):
    data = {
        "organisation": "",
        "kind": "skill_level",
        "id_number": trainee.id_number,
        "name": trainee.name,
        "occupation": ELECTRICIAN,
        "level": "3",
        "reason": "2026 年第 5 批评价，成绩合格",
    }
    data.update(changes)
    return data


def test_evaluator_issues_by_decision(client, world):
    user = world["users"]["evaluator_a"]
    person = TraineeFactory(name="社会考生甲")
    client.force_login(user)
    url = reverse("certificates_evaluate")
    body = client.get(url).content.decode()
    assert ELECTRICIAN in body  # the filed occupation is offered
    data = evaluation_data(person, organisation=world["a"].pk)
    response = client.post(url, data)
    cert = Certificate.objects.get(trainee=person)
    assert response.status_code == 302
    assert response.headers["Location"] == inspect_url(cert)
    assert cert.kind == "skill_level" and cert.level == "3"
    assert cert.basis == "evaluation" and cert.basis_note == data["reason"]
    assert cert.issuer == world["a"] and cert.issued_by == user
    assert AuditEvent.objects.filter(
        action="certificate.issue", object_id=str(cert.pk), reason=data["reason"]
    ).exists()
    # The same decision again returns the same certificate.
    client.post(url, data)
    assert Certificate.objects.filter(trainee=person).count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "别人"}, "未找到证件号码与姓名相符的学员"),
        ({"id_number": "520102199001011234"}, ""),  # a bad check digit or unknown
        ({"level": "2"}, "未备案该职业（工种）或等级"),  # filed up to 三级 only
        ({"reason": "  "}, "请填写认定理由"),
        ({"level": ""}, "须选择等级"),
    ],
)
def test_evaluation_refusals_are_shown(client, world, changes, message):
    person = TraineeFactory(name="社会考生乙")
    client.force_login(world["users"]["evaluator_a"])
    response = client.post(
        reverse("certificates_evaluate"),
        evaluation_data(person, organisation=world["a"].pk, **changes),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert person.id_number not in body
    assert not Certificate.objects.filter(trainee=person).exists()


@pytest.mark.parametrize(
    "who", ["inst_a", "bureau_gy", "auditor_gz", "trainee", "anonymous"]
)
def test_evaluation_form_is_for_evaluators_only(client, world, who):
    person = TraineeFactory(name="社会考生丙")
    login(client, world, who)
    url = reverse("certificates_evaluate")
    assert_denied(client.get(url))
    assert_denied(client.post(url, evaluation_data(person, organisation=world["a"].pk)))
    assert not Certificate.objects.filter(trainee=person).exists()


def test_unfiled_evaluator_cannot_issue_by_decision(client, world):
    person = TraineeFactory(name="社会考生丁")
    client.force_login(world["users"]["evaluator_b"])
    response = client.post(
        reverse("certificates_evaluate"),
        evaluation_data(person, organisation=world["b"].pk),
    )
    assert response.status_code == 200  # the occupation is not even offered
    assert not Certificate.objects.filter(trainee=person).exists()


def test_evaluator_cannot_issue_for_another_organisation(client, world):
    person = TraineeFactory(name="社会考生戊")
    client.force_login(world["users"]["evaluator_b"])
    client.post(
        reverse("certificates_evaluate"),
        evaluation_data(person, organisation=world["a"].pk),
    )
    assert not Certificate.objects.filter(trainee=person).exists()
