"""Production as it runs: real gunicorn and RQ worker processes with the production
settings, against a PostgreSQL database and Redis keys of their own.

One database per test session (``prod_smoke_<random>``: migrate, load_reference,
seed_demo), its own cache and RQ key prefixes in Redis, its own static and media
directories, free ports chosen at run time: safe next to other tests under
pytest-xdist. Every process is stopped and the database dropped at the end.

Runs when DATABASE_URL is PostgreSQL; skipped on SQLite (a production install never
runs on SQLite). In CI (CI=1) with PostgreSQL nothing here skips.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Redis DB 4 unless told (DEPLOY_REDIS_URL, or REDIS_URL); keys are prefixed per session.
REDIS_URL = os.environ.get("DEPLOY_REDIS_URL") or "redis://127.0.0.1:6379/4"
ROSTER_ROWS = 2001  # one over the synchronous limit: confirming queues it
VERIFY_LIMIT = 6  # requests per minute per client address (CERTIFICATE_VERIFY_RATE)
START_TIMEOUT = 120

# As the Makefile's DEPLOY_ENV (keys that are not the committed dev/test keys).
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "training_platform.settings.production",
    "DJANGO_SECRET_KEY": "smoke-only-3f9c2b7e1d8a4c6f0b5e9d2a7c4f1e8b3d6a9c2f5e8b1d4a7",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "PII_ENCRYPTION_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "PII_ACTIVE_KEY_ID": "k1",
    "PII_BLIND_INDEX_KEY": "bGludC1vbmx5LWJsaW5kLWluZGV4LWtleS0zMi1ieXRlcyE=",
    "CERTIFICATE_SIGNING_KEYS": "lint1:bGludC1vbmx5LWNlcnQtc2lnbmluZy1zZWVkLTMyYiE=",
    "CERTIFICATE_SIGNING_ACTIVE_KEY": "lint1",
    "SMS_BACKEND": "training_platform.sms.backends.dummy.SmsBackend",
    "DJANGO_TASKS_BACKEND": "rq",
    # The test client stands in for the load balancer: it sends X-Forwarded-For.
    "TRUSTED_PROXIES": "127.0.0.1",
    "CERTIFICATE_VERIFY_RATE": f"{VERIFY_LIMIT}/60",
    "CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS": "0",
}


def _is_postgres():
    return DATABASE_URL.startswith(("postgres://", "postgresql://"))


def _reachable(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_sql(sql):
    import psycopg

    with psycopg.connect(
        _with_database(DATABASE_URL, "postgres"), autocommit=True
    ) as c:
        c.execute(sql)


def _run(env, *args, timeout=600):
    done = subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return done.stdout


class Deployment:
    """The environment of the session's production processes."""

    def __init__(self, tmp: Path):
        suffix = secrets.token_hex(4)
        # DEPLOY_DATABASE: reuse a database an earlier run migrated and seeded (kept).
        self.reused = os.environ.get("DEPLOY_DATABASE", "")
        self.database = self.reused or f"prod_smoke_{suffix}"
        self.tmp = tmp
        self.media = tmp / "media"  # shared by both app servers and the worker
        self.static = tmp / "static"
        self.cache_prefix = f"smoke{suffix}"
        self.rq_prefix = f"rqsmoke{suffix}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
            **PRODUCTION_ENV,
            "DATABASE_URL": _with_database(DATABASE_URL, self.database),
            "REDIS_URL": REDIS_URL,
            "DJANGO_CACHE_KEY_PREFIX": self.cache_prefix,
            "RQ_KEY_PREFIX": self.rq_prefix,
            "DJANGO_MEDIA_ROOT": str(self.media),
            "DJANGO_STATIC_ROOT": str(self.static),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.data = {}
        self.processes = []

    def manage(self, *args, env=None, timeout=600):
        return _run(env or self.env, "manage.py", *args, timeout=timeout)

    def start(self, name, argv):
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 (closed in stop_all)
        process = subprocess.Popen(  # noqa: S603
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one
        )
        self.processes.append((process, log))
        return process

    def start_gunicorn(self, name):
        port = _free_port()
        process = self.start(
            name,
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "training_platform.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--timeout",
                "120",
            ],
        )
        server = Server(name, f"http://127.0.0.1:{port}", process, self.tmp)
        server.wait_ready()
        return server

    def log(self, name):
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop_all(self):
        for process, _log in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, log in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
            log.close()
        self.processes = []


class Server:
    def __init__(self, name, url, process, tmp):
        self.name, self.url, self.process, self.tmp = name, url, process, tmp

    def wait_ready(self):
        import requests

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                requests.get(f"{self.url}/robots.txt", timeout=30, headers=HTTPS)
                return
            except requests.RequestException:  # not listening yet, or still loading
                time.sleep(0.3)
        log = (self.tmp / f"{self.name}.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"gunicorn {self.name} did not start:\n{log}")


# As the load balancer would: the request came in over HTTPS (SECURE_PROXY_SSL_HEADER).
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    if not _is_postgres():
        pytest.skip(
            "production smoke: needs DATABASE_URL=postgres://… (production never runs "
            "on SQLite); CI runs it in the PostgreSQL suite"
        )
    redis = urlsplit(REDIS_URL)
    if not _reachable(redis.hostname, redis.port or 6379):
        message = f"production smoke: Redis is not reachable at {REDIS_URL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    deploy = Deployment(tmp_path_factory.mktemp("deploy"))
    if not deploy.reused:
        _admin_sql(f'CREATE DATABASE "{deploy.database}"')
    try:
        # Static files need no database: collected while the database is migrated.
        with ThreadPoolExecutor(2) as pool:
            static = pool.submit(
                deploy.manage, "collectstatic", "--noinput", "--verbosity", "0"
            )
            deploy.manage("migrate", "--verbosity", "0")
            static.result()
        if not deploy.reused:
            deploy.manage("load_reference")
            # The demo refuses production settings (its users share a published
            # password): loaded with the development settings, under the production keys.
            deploy.manage(
                "seed_demo",
                "--verbosity",
                "0",
                env={
                    **deploy.env,
                    "DJANGO_SETTINGS_MODULE": "training_platform.settings.dev",
                    "DJANGO_DEBUG": "0",
                    # Wagtail queues a reference-index update per saved object: into
                    # the database's queue (never run here), not the RQ worker's.
                    "DJANGO_TASKS_BACKEND": "db",
                },
            )
        roster = deploy.tmp / "roster.xlsx"
        deploy.data = json.loads(
            _run(
                deploy.env, "-m", "tests.deploy.prepare", str(roster), str(ROSTER_ROWS)
            )
        )
        deploy.data["roster"] = roster
        yield deploy
    finally:
        deploy.stop_all()
        if not deploy.reused:
            _admin_sql(f'DROP DATABASE IF EXISTS "{deploy.database}" WITH (FORCE)')
        _forget_redis(deploy)


def _forget_redis(deploy):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for prefix in (deploy.cache_prefix, deploy.rq_prefix):
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        # The cache's keys are "<prefix>:<version>:<key>"; RQ's "<prefix>:…".
        if keys:
            client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def servers(deployment):
    """Two app servers (A, B) and one RQ worker, all separate processes."""
    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(deployment.start_gunicorn, "gunicorn-a")
        b = pool.submit(deployment.start_gunicorn, "gunicorn-b")
        a, b = a.result(), b.result()
    worker = deployment.start(
        "rqworker",
        [
            sys.executable,
            "manage.py",
            "rqworker",
            "default",
            "--job-class",
            "django_tasks_rq.Job",
        ],
    )
    return {"a": a, "b": b, "worker": worker}
