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


def pytest_collection_modifyitems(config, items):
    """Transactional tests must restore what migrations created (home page, role groups,
    content types) with serialized_rollback; one that flushes without it makes Django
    re-run post_migrate and breaks the restore for the next."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: use django_db(transaction=True, serialized_rollback=True)"
            )
