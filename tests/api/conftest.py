"""Fixtures of the /api/v1/ tests: rows to answer with, and a bearer token of an
institution that has a class, beside another institution's class, person and upload
that the token must never reach."""

import pytest
from django.core.cache import cache

import tests.factories as factories


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """Rate-limit counters live in the (per-process) cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


# What belongs to another institution: no answer to the token may carry these.
FOREIGN_CLASS_CODE = "T-FOREIGN-0001"
FOREIGN_PERSON = "别家学员甲"


@pytest.fixture
def api_rows(db):
    """A little of everything the public API lists or looks up, and another
    institution's class, trainee and import job."""
    training_class = factories.TrainingClassFactory()
    factories.TrainingClassFactory(course=training_class.course)
    certificate = factories.CertificateFactory()
    foreign = factories.TrainingClassFactory(code=FOREIGN_CLASS_CODE)
    factories.EnrolmentFactory(training_class=foreign, trainee__name=FOREIGN_PERSON)
    return {"class": training_class, "certificate": certificate, "foreign": foreign}


@pytest.fixture
def bearer(db) -> dict:
    """``{"Authorization": "Bearer <plain>"}`` for a live token of an institution with
    a class and a trainee of its own."""
    institution = factories.InstitutionFactory()
    own = factories.TrainingClassFactory(course__institution=institution)
    factories.EnrolmentFactory(training_class=own)
    _token, plain = factories.api_token_for(institution)
    return {"Authorization": f"Bearer {plain}"}
