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
    ("changes", "field", "message"),
    [
        ({"name": "别人"}, "id_number", "未找到证件号码与姓名相符的学员"),
        ({"id_number": "520102199001011234"}, "id_number", "身份证号码格式不正确"),
        # filed up to 三级 only: refused at the level, saying what the filing allows
        ({"level": "2"}, "level", "未备案该职业（工种）二级/技师的评价资格"),
        ({"reason": "  "}, "reason", "请填写认定理由"),
        ({"level": ""}, "level", "须选择等级"),
        # The kind decides the level: a special ability certificate has none ...
        (
            {"kind": "special_ability", "level": "3"},
            "level",
            "专项职业能力证书不分等级",
        ),
        # ... and a skill-level one is 五级 to 一级 (特级技师 has its own format).
        ({"level": "T"}, "level", "请从列表中选择"),
        ({"kind": "training", "level": ""}, "kind", "请从列表中选择"),
        ({"expires_on": "2000-01-01"}, "expires_on", "有效期不能早于发证日期"),
    ],
)
def test_evaluation_refusals_are_shown_at_the_field(
    client, world, changes, field, message
):
    person = TraineeFactory(name="社会考生乙")
    client.force_login(world["users"]["evaluator_a"])
    data = evaluation_data(person, organisation=world["a"].pk, **changes)
    response = client.post(reverse("certificates_evaluate"), data)
    assert response.status_code == 200
    body = response.content.decode()
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert message in errors[field][0]
    assert f'id="{field}-error"' in body and message in body
    # What the evaluator typed stays filled in: the ID number and the name as typed.
    assert f'value="{data["id_number"]}"' in body
    assert f'value="{data["name"]}"' in body
    assert not Certificate.objects.filter(trainee=person).exists()


def test_every_refusal_is_in_chinese(client, world):
    client.force_login(world["users"]["evaluator_a"])
    response = client.post(reverse("certificates_evaluate"), {"organisation": "x"})
    errors = response.context["form"].errors
    assert set(errors) >= {"organisation", "kind", "id_number", "name", "reason"}
    for messages in errors.values():
        for message in messages:
            assert not any("a" <= ch.lower() <= "z" for ch in message), message


def test_the_page_offers_levels_by_kind_and_filing(client, world):
    client.force_login(world["users"]["evaluator_a"])
    response = client.get(reverse("certificates_evaluate"))
    body = response.content.decode()
    rules = response.context["level_rules"]
    assert rules["kinds"] == {
        "skill_level": ["5", "4", "3", "2", "1"],
        "special_ability": [],
    }
    assert rules["filings"] == {f"{world['a'].pk}:{ELECTRICIAN}": "3"}
    assert 'id="evaluation-level-rules"' in body
    assert "certificates/evaluation_issue.js" in body
    # Without the script, the native list still holds only 五级 to 一级.
    level_options = response.context["form"].fields["level"].choices
    assert [value for value, _label in level_options] == ["", "5", "4", "3", "2", "1"]
    assert reverse("certificates_evaluation_upload") in body


def test_success_names_the_holder_as_typed(client, world):
    person = TraineeFactory(name="刘芳")
    client.force_login(world["users"]["evaluator_a"])
    data = evaluation_data(person, organisation=world["a"].pk, name="刘 芳")
    response = client.post(reverse("certificates_evaluate"), data, follow=True)
    cert = Certificate.objects.get(trainee=person)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        f"已为刘芳签发职业技能等级证书（{cert.occupation_name}，三级/高级工），"
        f"证书编号 {cert.number}。"
    ]


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
