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
# --- c14-gates ---
# Gate (issue 14 item 5): no full ID number in any log line of the test run. One handler,
# installed once, sits FIRST on the root logger and on every logger that does not
# propagate (``django``), so it sees each record as the code logged it — before the
# console handler's RedactPIIFilter rewrites it: an ID number must be redacted at the
# source, not rely on one handler's filter (another handler in production may have none).
# A record whose message or traceback holds an 18-character number that passes the
# GB 11643 check digit (``training_platform.validators.id_check_char``) fails the test
# that logged it. Cheap: one regex search per record.
import logging as _gates_logging  # noqa: E402
import re as _gates_re  # noqa: E402

_GATES_ID_SHAPE = _gates_re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def full_id_numbers(text: str) -> list[str]:
    """The ID-number-shaped strings in ``text`` whose check digit is right."""
    from training_platform.validators import id_check_char

    return [
        found
        for found in _GATES_ID_SHAPE.findall(text)
        if id_check_char(found[:17]) == found[17].upper()
    ]


class _IdNumberLogGate(_gates_logging.Handler):
    def __init__(self):
        super().__init__(level=_gates_logging.NOTSET)
        self.offenders: list[str] = []

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + _gates_logging.Formatter().formatException(record.exc_info)
        if _GATES_ID_SHAPE.search(text) and full_id_numbers(text):
            self.offenders.append(f"{record.name} {record.levelname}: {text[:300]}")

    def handle(self, record):  # no lock, no filters: look only
        self.emit(record)
        return True


_id_number_log_gate = _IdNumberLogGate()


def _gates_install(handler) -> None:
    loggers = [_gates_logging.getLogger()] + [
        logger
        for logger in list(_gates_logging.Logger.manager.loggerDict.values())
        if isinstance(logger, _gates_logging.Logger) and not logger.propagate
    ]
    for logger in loggers:
        if handler not in logger.handlers:
            logger.handlers.insert(0, handler)


@pytest.fixture(autouse=True)
def _no_id_number_in_logs():
    """Fail the test if any log record it made carries a full ID number."""
    _gates_install(_id_number_log_gate)  # settings (LOGGING) may have been reapplied
    _id_number_log_gate.offenders.clear()
    yield
    offenders = list(_id_number_log_gate.offenders)
    _id_number_log_gate.offenders.clear()
    if offenders:
        pytest.fail(
            "a log record carries a full ID number (redact it where it is logged):\n"
            + "\n".join(offenders),
            pytrace=False,
        )


# --- end c14-gates ---
