"""Fuzz every operation of /api/v1/ from its own OpenAPI document (schemathesis).

The document is loaded from the Django app in-process (WSGI, no server); every operation
gets a few generated requests, and each answer must be no 5xx, have a documented status
and content type, and match its declared schema. Operations that need a token get a real
one (tests.factories.api_token_for); without that helper they are skipped, and say why.
"""

import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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
def test_every_operation_answers_within_its_schema(case, request, api_rows):
    headers = request.getfixturevalue("bearer") if _needs_token(case) else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
