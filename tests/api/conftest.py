"""Fixtures of the /api/v1/ tests: rows to answer with, and a bearer token when the
token stream's factory helper exists (tests.factories.api_token_for)."""

import pytest
from django.core.cache import cache

import tests.factories as factories


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """Rate-limit counters live in the (per-process) cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_rows(db):
    """A little of everything the public API lists or looks up."""
    training_class = factories.TrainingClassFactory()
    factories.TrainingClassFactory(course=training_class.course)
    certificate = factories.CertificateFactory()
    return {"class": training_class, "certificate": certificate}


@pytest.fixture
def bearer(db) -> dict:
    """``{"Authorization": "Bearer <plain>"}`` for a live token of a fresh institution."""
    api_token_for = getattr(factories, "api_token_for", None)
    if api_token_for is None:
        pytest.skip(
            "tests.factories.api_token_for is not on this branch yet (stream tok, "
            "branch c13-tok): the token-authenticated operations are not fuzzed here"
        )
    _token, plain = api_token_for(factories.InstitutionFactory())
    return {"Authorization": f"Bearer {plain}"}
