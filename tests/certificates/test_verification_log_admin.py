"""核验记录 in the back-office: scoped, read-only, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates.models import VerificationLog
from tests.certificates.admin_world import assert_denied, login

pytestmark = pytest.mark.django_db

URL = reverse("verificationlog:index")


def log(certificate, asked=None, outcome="valid"):
    return VerificationLog.objects.create(
        channel="page",
        asked=asked or certificate.token,
        certificate=certificate,
        outcome=outcome,
        client_ip="203.0.113.5",
    )


@pytest.fixture
def logs(world):  # noqa: F811
    return {
        "a": log(world["cert_a"]),
        "b": log(world["cert_b"]),
        "unknown": log(None, asked="ZZZZZZZZZZZZZZZZZZZZZZ", outcome="not_found"),
    }


@pytest.mark.parametrize(
    "who,seen,unseen",
    [
        ("auditor_gz", ["a", "b", "unknown"], []),
        ("bureau_gy", ["a"], ["b", "unknown"]),
        ("bureau_zy", ["b"], ["a", "unknown"]),
    ],
)
def test_logs_are_scoped_by_region(client, world, logs, who, seen, unseen):  # noqa: F811
    login(client, world, who)
    body = client.get(URL).content.decode()
    for key in seen:
        assert logs[key].asked in body
    for key in unseen:
        assert logs[key].asked not in body


@pytest.mark.parametrize("who", ["inst_a", "evaluator_a", "trainee", "anonymous"])
def test_other_roles_do_not_see_the_log(client, world, logs, who):  # noqa: F811
    login(client, world, who)
    response = client.get(URL)
    if response.status_code == 200:
        assert logs["a"].asked not in response.content.decode()
    else:
        assert_denied(response)


def test_no_edit_or_delete(client, world, logs):  # noqa: F811
    login(client, world, "auditor_gz")
    for name in ("verificationlog:edit", "verificationlog:delete"):
        assert_denied(client.get(reverse(name, args=[logs["a"].pk])))


def test_query_count_does_not_grow_with_logs(
    client,
    world,  # noqa: F811
    logs,
    django_assert_max_num_queries,
):
    login(client, world, "auditor_gz")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    baseline = len(few.captured_queries)
    for _ in range(20):
        log(world["cert_a"])
    with django_assert_max_num_queries(baseline):
        body = client.get(URL).content.decode()
    assert body.count("203.0.113.5") == 20  # a full page
