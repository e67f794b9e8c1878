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


@pytest.fixture(autouse=True)
def _flushable_frozen_rows(request):
    """SQLite's flush (the end of a transactional test) deletes row by row, which the
    frozen-row triggers refuse (a paid claim cannot be deleted; PostgreSQL truncates
    and does not fire them). Before the flush: take the triggers off, flush, and put
    them back as they were — the next test meets the same schema."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")  # set up before, torn down after us
    yield
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
            ["%_frozen_%"],
        )
        triggers = cursor.fetchall()
        if not triggers:
            return
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        call_command(
            "flush",
            interactive=False,
            verbosity=0,
            database=connection.alias,
            inhibit_post_migrate=True,
        )
    finally:
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request read in English
    (LocaleMiddleware) leaves English active in the thread for the next test."""
    from django.utils import translation

    yield
    translation.deactivate()


# --- c14-prod ---
def pytest_configure(config):
    """Mark the background-task tests ``tasks`` (tests/deploy/task_tests.py)."""
    from tests.deploy import task_tests

    if not config.pluginmanager.is_registered(task_tests):
        config.pluginmanager.register(task_tests, "c14_task_tests")


# --- end c14-prod ---
