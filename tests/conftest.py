import pytest

from training_platform.reference.services import reference_data_load


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data (divisions, occupations, key groups) once per test database."""
    with django_db_blocker.unblock():
        reference_data_load()


@pytest.fixture
def reference(db):
    """Reference data, reloaded if a transactional test flushed it."""
    reference_data_load()
