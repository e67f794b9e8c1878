"""The task backend is chosen by settings (DJANGO_TASKS_BACKEND); the RQ rerun of the
background-task tests really goes through Redis and an RQ worker."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus

from monitoring.tasks import indicator_summary_refresh_task
from tests.deploy.task_tests import TASK_MODULES, TASK_TESTS

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
import training_platform.settings.base as s
print(json.dumps({"tasks": s.TASKS, "rq": getattr(s, "RQ_QUEUES", None),
                  "apps": "django_rq" in s.INSTALLED_APPS}))
"""


def settings_with(**env):
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_TASKS_BACKEND", "REDIS_URL"}
    }
    environ.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_database_worker_is_the_default():
    done = settings_with()
    assert done.returncode == 0, done.stderr
    chosen = json.loads(done.stdout)
    assert chosen["tasks"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert chosen["rq"] is None and not chosen["apps"]


def test_rq_is_chosen_by_the_environment_against_redis_url():
    done = settings_with(
        DJANGO_TASKS_BACKEND="rq", REDIS_URL="redis://cache.internal:6379/3"
    )
    assert done.returncode == 0, done.stderr
    chosen = json.loads(done.stdout)
    assert chosen["tasks"]["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert chosen["rq"]["default"]["URL"] == "redis://cache.internal:6379/3"
    assert chosen["apps"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_TASKS_BACKEND": "rq"}, "DJANGO_TASKS_BACKEND=rq needs REDIS_URL"),
        ({"DJANGO_TASKS_BACKEND": "celery"}, "choose db or rq"),
    ],
)
def test_a_wrong_choice_refuses_to_start(env, message):
    done = settings_with(**env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


@pytest.mark.django_db
def test_the_tasks_run_through_the_configured_backend(reference):
    result = indicator_summary_refresh_task.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value and all(n >= 0 for n in result.return_value.values())
    backend = task_backends["default"]
    if settings.DJANGO_TASKS_BACKEND == "rq":
        from django_tasks_rq import RQBackend

        assert isinstance(backend, RQBackend)
        # Stored in Redis and run by a named RQ worker, read back from Redis.
        assert result.worker_ids and result.worker_ids[0]
        again = backend.get_result(result.id)
        assert again.status == TaskResultStatus.SUCCESSFUL
        assert again.return_value == result.return_value
    else:
        assert type(backend).__name__ == "ImmediateBackend"


def test_every_listed_task_test_exists():
    names = {}
    for nodeid in TASK_TESTS:
        path, _sep, name = nodeid.partition("::")
        names.setdefault(path, set()).add(name)
    for path in TASK_MODULES:
        assert (ROOT / path).is_file(), path
    for path, wanted in names.items():
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        defined = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert wanted <= defined, f"{path}: no test named {sorted(wanted - defined)}"
