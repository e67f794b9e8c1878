"""The tests of background tasks: marked ``tasks`` (tests/conftest.py), so that
``DJANGO_TASKS_BACKEND=rq pytest -m tasks`` runs them again through django-tasks-rq
and Redis. Whole modules by path, single tests by node id. Each entry must still name a
test (tests/deploy/test_task_backend.py checks), so a rename cannot drop one silently.
"""

import pytest

TASK_MODULES = ("tests/certificates/test_tasks.py",)

TASK_TESTS = (
    "tests/monitoring/test_summary.py::test_missing_summary_counts_live_and_queues_the_first_refresh",
    "tests/monitoring/test_summary.py::test_stale_summary_is_served_with_its_time_and_queues_one_refresh",
    "tests/monitoring/test_summary.py::test_the_task_and_the_command_refresh_the_summary",
    "tests/subsidies/test_notice.py::test_the_task_closes_rounds",
    "tests/courses/test_roster_views.py::test_large_file_is_imported_by_the_background_task",
    "tests/courses/test_roster_views.py::test_background_refusal_stores_a_capped_summary",
    "tests/courses/test_results_views.py::test_large_file_is_imported_by_the_background_task",
    "tests/courses/test_results_views.py::test_background_errors_keep_the_file_for_the_error_rows",
    "tests/competitions/test_score_import_screens.py::test_a_large_file_is_imported_by_the_task",
    "tests/api/test_institution_api.py::test_a_large_roster_is_imported_in_the_background",
    "tests/deploy/test_task_backend.py::test_the_tasks_run_through_the_configured_backend",
)


def is_task_test(nodeid: str) -> bool:
    path, _sep, rest = nodeid.partition("::")
    name = rest.partition("[")[0]
    return path in TASK_MODULES or f"{path}::{name}" in TASK_TESTS


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Before ``-m`` deselects: mark the listed tests ``tasks``."""
    for item in items:
        if is_task_test(item.nodeid):
            item.add_marker(pytest.mark.tasks)


def task_test_paths() -> list[str]:
    """The files holding the task tests (for a quick ``pytest -m tasks <paths>``)."""
    return sorted({*TASK_MODULES, *(t.partition("::")[0] for t in TASK_TESTS)})


if __name__ == "__main__":
    print(" ".join(task_test_paths()))  # noqa: T201 (for .ci/run)
