"""Issuing certificates for a class in the back office: the issue screen, the batch
and its page, evaluators issuing for a class, refusals."""

import pytest
from django.urls import reverse

from certificates.models import Certificate, IssueBatch, IssueBatchStatus
from tests.certificates.admin_world import file_to_evaluate, issue_url, login
from tests.factories import InstitutionFactory, region
from training_platform.audit.models import AuditEvent
from training_platform.reference.models import CertificateKind
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


def test_issue_screen_counts(client, world, big_class):
    client.force_login(world["users"]["inst_a"])
    body = client.get(issue_url(big_class)).content.decode()
    assert 'id="issue-training"' in body
    assert '<td class="eligible">3</td>' in body
    assert '<td class="held">1</td>' in body
    assert '<td class="to-issue">2</td>' in body
    assert "skill_level" not in body  # institution staff issue training certificates


def test_batch_issue_end_to_end(client, world, big_class):
    user = world["users"]["inst_a"]
    client.force_login(user)
    response = client.post(issue_url(big_class), {"kind": "training"})
    assert response.status_code == 302
    batch = IssueBatch.objects.get(training_class=big_class)
    assert response.headers["Location"] == reverse(
        "certificates_batch", args=[batch.pk]
    )
    assert batch.status == IssueBatchStatus.DONE  # the test task backend runs at once
    assert batch.requested_by == user and batch.task_id
    assert batch.done == batch.total == 3
    assert batch.summary == {
        "eligible": 3,
        "issued": 2,
        "already_issued": 1,
        "not_qualified": 2,
    }
    certs = Certificate.objects.filter(enrolment__training_class=big_class)
    assert certs.count() == 3
    assert (
        AuditEvent.objects.filter(
            action="certificate.issue", object_id__in=[str(c.pk) for c in certs]
        ).count()
        == 3
    )
    page = client.get(response.headers["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-status="done"' in body and 'http-equiv="refresh"' not in body
    assert '<td id="batch-issued">2</td>' in body
    assert 'value="3"' in body and "已处理 3 / 3 人" in body
    # Nothing left to issue: confirming again is refused, no new batch.
    response = client.post(issue_url(big_class), {"kind": "training"})
    assert response.status_code == 200
    assert "本班没有待发证的学员" in response.content.decode()
    assert IssueBatch.objects.filter(training_class=big_class).count() == 1


def test_a_pending_batch_page_refreshes_itself(client, world, big_class):
    user = world["users"]["inst_a"]
    batch = IssueBatch.objects.create(
        training_class=big_class,
        kind=CertificateKind.TRAINING,
        requested_by=user,
        status=IssueBatchStatus.RUNNING,
        total=10,
        done=4,
    )
    client.force_login(user)
    body = client.get(reverse("certificates_batch", args=[batch.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert "已处理 4 / 10 人" in body
    # Another institution does not find it.
    client.force_login(world["users"]["inst_b"])
    assert client.get(reverse("certificates_batch", args=[batch.pk])).status_code == 404
    client.force_login(world["users"]["bureau_gy"])
    assert client.get(reverse("certificates_batch", args=[batch.pk])).status_code == 200


def test_a_running_batch_is_not_started_twice(client, world, big_class):
    user = world["users"]["inst_a"]
    running = IssueBatch.objects.create(
        training_class=big_class,
        kind=CertificateKind.TRAINING,
        requested_by=user,
        status=IssueBatchStatus.RUNNING,
    )
    client.force_login(user)
    response = client.post(issue_url(big_class), {"kind": "training"})
    assert response.headers["Location"] == reverse(
        "certificates_batch", args=[running.pk]
    )
    assert IssueBatch.objects.filter(training_class=big_class).count() == 1


def test_filed_evaluator_issues_skill_level_certificates_for_the_class(
    client, world, big_class
):
    user = world["users"]["evaluator_a"]
    client.force_login(user)
    body = client.get(issue_url(big_class)).content.decode()
    assert 'id="issue-skill_level"' in body and 'id="issue-training"' not in body
    response = client.post(issue_url(big_class), {"kind": "skill_level"})
    assert response.status_code == 302
    batch = IssueBatch.objects.get(training_class=big_class)
    assert batch.status == IssueBatchStatus.DONE, batch.summary
    assert batch.summary["issued"] == 3
    certs = Certificate.objects.filter(
        enrolment__training_class=big_class, kind=CertificateKind.SKILL_LEVEL
    )
    assert certs.count() == 3
    assert {c.issuer_id for c in certs} == {world["a"].pk}
    assert all(c.level == "4" and c.number.startswith("S") for c in certs)


def test_evaluator_with_several_organisations_chooses_one(client, world, big_class):
    user = world["users"]["evaluator_a"]
    other = InstitutionFactory(name="黔南评价中心", region=region("520102"))
    file_to_evaluate(other)
    from bases.services import membership_grant

    membership_grant(user=user, role=Role.EVALUATOR, institution=other)
    client.force_login(user)
    body = client.get(issue_url(big_class)).content.decode()
    assert "黔南评价中心" in body and 'name="organisation"' in body
    response = client.post(issue_url(big_class), {"kind": "skill_level"})
    assert response.status_code == 200
    assert "请选择以哪个评价机构的名义发证" in response.content.decode()
    response = client.post(
        issue_url(big_class), {"kind": "skill_level", "organisation": other.pk}
    )
    assert response.status_code == 302
    batch = IssueBatch.objects.get(training_class=big_class)
    assert batch.status == IssueBatchStatus.DONE, batch.summary
    assert set(
        Certificate.objects.filter(
            enrolment__training_class=big_class, kind="skill_level"
        ).values_list("issuer_id", flat=True)
    ) == {other.pk}


ISSUE_DENIED = [
    ("evaluator_b", "class_b", 403),  # not filed for the occupation
    ("bureau_gy", "class_a", 403),
    ("auditor_gz", "class_a", 403),
    ("inst_b", "class_a", 404),
    ("bureau_zy", "class_a", 404),
    ("evaluator_b", "class_a", 404),
    ("trainee", "class_a", 302),
    ("anonymous", "class_a", 302),
]


@pytest.mark.parametrize(("who", "key", "status"), ISSUE_DENIED)
def test_issue_screen_is_refused(client, world, who, key, status):
    cls = world[key]
    login(client, world, who)
    for response in (
        client.get(issue_url(cls)),
        client.post(issue_url(cls), {"kind": "training"}),
        client.post(issue_url(cls), {"kind": "skill_level"}),
    ):
        assert response.status_code == status
        if status == 302:
            assert response.headers["Location"].startswith("/admin/login/")
    assert not IssueBatch.objects.exists()


def test_a_kind_not_offered_is_refused(client, world, big_class):
    client.force_login(world["users"]["inst_a"])
    response = client.post(issue_url(big_class), {"kind": "skill_level"})
    assert response.status_code == 200
    assert not IssueBatch.objects.exists()


BATCH_PAGE = {
    "inst_a": 200,  # requested it
    "evaluator_a": 200,  # same institution
    "bureau_gy": 200,
    "auditor_gz": 200,
    "inst_b": 404,
    "evaluator_b": 404,
    "bureau_zy": 404,
    "trainee": 302,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", list(BATCH_PAGE))
def test_batch_page_by_role(client, world, big_class, who):
    batch = IssueBatch.objects.create(
        training_class=big_class,
        kind=CertificateKind.TRAINING,
        requested_by=world["users"]["inst_a"],
        status=IssueBatchStatus.DONE,
        total=3,
        done=3,
        summary={"eligible": 3, "issued": 2, "already_issued": 1, "not_qualified": 2},
    )
    login(client, world, who)
    response = client.get(reverse("certificates_batch", args=[batch.pk]))
    assert response.status_code == BATCH_PAGE[who]
    if response.status_code == 200:
        assert '<td id="batch-issued">2</td>' in response.content.decode()
    elif response.status_code == 302:
        assert response.headers["Location"].startswith("/admin/login/")
