"""Fuzz every operation of /api/v1/ from its own OpenAPI document (schemathesis).

The document is loaded from the Django app in-process (WSGI, no server); every operation
gets a few generated requests, and each answer must be no 5xx, have a documented status
and content type, and match its declared schema. Operations that need a token get a real
one (tests.factories.api_token_for) of an institution with a class of its own, and no
answer to it may carry another institution's class or person (``api_rows``' foreign ones).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import FOREIGN_CLASS_CODE, FOREIGN_PERSON

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def _one_connection():
    """Django's test client keeps the test's connection open across requests; the real
    WSGI handler schemathesis drives closes it when a request ends (close_old_connections),
    which on PostgreSQL would drop the test's transaction. Do as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded at collection, through the app itself: serving the document reads no rows.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def _needs_token(case) -> bool:
    return bool(case.operation.definition.raw.get("security"))


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema(
    case, request, api_rows, _one_connection
):
    if not _needs_token(case):
        case.call_and_validate(checks=CHECKS)
        return
    response = case.call_and_validate(
        headers=request.getfixturevalue("bearer"), checks=CHECKS
    )
    body = response.text
    assert FOREIGN_CLASS_CODE not in body and FOREIGN_PERSON not in body, (
        case.operation.label,
        body[:300],
    )
