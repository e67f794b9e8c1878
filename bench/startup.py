"""Process start time and worker memory: the full venv (runtime + dev tools, what
`make install` gives) against a runtime-only venv (`pip install -r requirements.lock`,
what production installs), measured side by side in fresh processes.

For each venv, alternately (full, runtime, full, runtime, ...), ``BENCH_STARTUP_ROUNDS``
rounds (default 7), medians reported:

- ``manage.py check``: wall time of the whole command, interpreter start included, and
  its CPU time (user + system: less disturbed than wall time on a busy machine);
- a worker: a fresh process that runs ``django.setup()`` and loads the URLconf (every
  view module imported, as a WSGI worker does before its first request), then serves
  one request (``GET /``) through the WSGI application in-process; its resident memory
  (VmRSS) after each step and the time to reach them.

Plus ``python -X importtime manage.py check`` three times per venv: the top-level
packages that take the most import time (self time summed per package, median of
the three).

Both use the development settings with ``DJANGO_DEBUG=0`` (the apps, middleware and
URLconf of production; no Redis or collected static files needed) on a scratch SQLite
database migrated once. The runtime venv is built on first use under the temporary
directory, keyed by the lock's hash (needs the package index, or pip's cache), or
taken from ``BENCH_RUNTIME_PYTHON``.

``python -m bench.startup`` runs it alone and writes bench/results/startup.json.
"""

import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, env_int, machine, write_result

MANAGE = str(ROOT / "manage.py")
TOP_IMPORTS = 8

# Runs in the measured interpreter: set up Django, load the URLconf, serve one request.
WORKER = r"""
import io, json, sys, time
t0 = time.perf_counter()

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)

import django
django.setup()
setup_s = time.perf_counter() - t0
rss_setup = rss_mb()
from django.urls import get_resolver
get_resolver().url_patterns
urls_s = time.perf_counter() - t0
rss_urls = rss_mb()
from django.core.wsgi import get_wsgi_application
app = get_wsgi_application()
status = []
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
    "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
    "wsgi.errors": sys.stderr, "wsgi.multithread": False,
    "wsgi.multiprocess": True, "wsgi.run_once": False,
}
body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
request_s = time.perf_counter() - t0
print(json.dumps({
    "setup_s": setup_s, "urls_s": urls_s, "request_s": request_s,
    "rss_setup_mb": rss_setup, "rss_urls_mb": rss_urls, "rss_request_mb": rss_mb(),
    "status": status[0], "bytes": len(body),
    "cv2_loaded": "cv2" in sys.modules, "numpy_loaded": "numpy" in sys.modules,
    "modules": len(sys.modules),
}))
"""


def _env(db: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="training_platform.settings.dev",
        DJANGO_DEBUG="0",
        DATABASE_URL=f"sqlite:///{db}",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _run(python: str, args: list, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our interpreters, fixed arguments
        [python, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def runtime_python() -> str:
    """The runtime-only interpreter: ``BENCH_RUNTIME_PYTHON``, or a venv built from
    requirements.lock alone under the temporary directory (kept for the next run)."""
    given = os.environ.get("BENCH_RUNTIME_PYTHON")
    if given:
        return given
    lock = (ROOT / "requirements.lock").read_bytes()
    venv = Path(tempfile.gettempdir()) / (
        "qjt-runtime-venv-" + hashlib.sha256(lock).hexdigest()[:12]
    )
    python = venv / "bin" / "python"
    ready = venv / ".installed"
    if not ready.exists():
        sys.stderr.write(f"  building the runtime-only venv in {venv} ...\n")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ]
            + ["-r", str(ROOT / "requirements.lock")],
            check=True,
        )
        ready.touch()
    return str(python)


def _import_offenders(stderr: str) -> dict:
    """Self import time per top-level package, in milliseconds."""
    per_package: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|")
        top = name.strip().split(".")[0]
        per_package[top] = per_package.get(top, 0) + int(self_us) / 1000
    return per_package


def _median_dicts(dicts: list[dict]) -> dict:
    keys = {k for d in dicts for k in d}
    return {k: statistics.median(d.get(k, 0) for d in dicts) for k in keys}


def _installed(python: str, env: dict) -> dict:
    code = (
        "import importlib.util as u, json; print(json.dumps({m: bool(u.find_spec(m))"
        " for m in ['cv2', 'numpy', 'pytest', 'playwright', 'pypdf', 'ruff',"
        " 'hypothesis', 'schemathesis', 'factory']}))"
    )
    return json.loads(_run(python, ["-c", code], env).stdout)


def bench_startup(rounds: int) -> dict:
    pythons = {"full": sys.executable, "runtime": runtime_python()}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = _env(Path(tmp) / "startup.sqlite3")
        sys.stderr.write("  migrating a scratch database ...\n")
        _run(pythons["full"], [MANAGE, "migrate", "--noinput", "-v0"], env)
        for python in pythons.values():  # warm the bytecode and the page cache
            _run(python, [MANAGE, "check"], env)
        checks = {name: [] for name in pythons}
        cpus = {name: [] for name in pythons}
        workers = {name: [] for name in pythons}
        for i in range(rounds):
            sys.stderr.write(f"\r  round {i + 1}/{rounds}   ")
            for name, python in pythons.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                _run(python, [MANAGE, "check"], env)
                checks[name].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus[name].append(
                    after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                )
                workers[name].append(
                    json.loads(_run(python, ["-c", WORKER], env).stdout)
                )
        sys.stderr.write("\n")
        imports = {name: [] for name in pythons}
        for _ in range(3):
            for name, python in pythons.items():
                done = _run(python, ["-X", "importtime", MANAGE, "check"], env)
                imports[name].append(_import_offenders(done.stderr))
        installed = {name: _installed(python, env) for name, python in pythons.items()}

    result = {
        "name": "startup",
        "machine": machine(),
        "rounds": rounds,
        # Wall times mean little when the machine is busy: the load it ran under.
        "load_average_1m": round(os.getloadavg()[0], 1),
        "venvs": {},
    }
    for name in pythons:
        runs = workers[name]
        med = {
            k: statistics.median(r[k] for r in runs)
            for k in runs[0]
            if k.endswith(("_s", "_mb"))
        }
        offenders = _median_dicts(imports[name])
        total_ms = sum(offenders.values())
        top = sorted(offenders.items(), key=lambda kv: -kv[1])[:TOP_IMPORTS]
        result["venvs"][name] = {
            "check_s": round(statistics.median(checks[name]), 3),
            "check_runs_s": [round(t, 3) for t in checks[name]],
            "check_cpu_s": round(statistics.median(cpus[name]), 3),
            "worker_setup_s": round(med["setup_s"], 3),
            "worker_urls_s": round(med["urls_s"], 3),
            "worker_request_s": round(med["request_s"], 3),
            "rss_setup_mb": med["rss_setup_mb"],
            "rss_urls_mb": med["rss_urls_mb"],
            "rss_request_mb": med["rss_request_mb"],
            "request_status": runs[0]["status"],
            "modules_loaded": runs[0]["modules"],
            "cv2_loaded": runs[0]["cv2_loaded"],
            "numpy_loaded": runs[0]["numpy_loaded"],
            "import_total_ms": round(total_ms),
            "import_top_ms": {k: round(v) for k, v in top},
            "installed": installed[name],
        }
    full, runtime = result["venvs"]["full"], result["venvs"]["runtime"]
    result["check_ratio"] = round(runtime["check_s"] / full["check_s"], 2)
    result["check_cpu_ratio"] = round(runtime["check_cpu_s"] / full["check_cpu_s"], 2)
    result["rss_request_ratio"] = round(
        runtime["rss_request_mb"] / full["rss_request_mb"], 2
    )
    return result


def table(result: dict) -> str:
    full, rt = result["venvs"]["full"], result["venvs"]["runtime"]
    rows = [
        (
            "`manage.py check`: wall / CPU time",
            f"{full['check_s']} s / {full['check_cpu_s']} s",
            f"{rt['check_s']} s / {rt['check_cpu_s']} s",
        ),
        (
            "worker: `django.setup()` + URLconf",
            f"{full['worker_urls_s']} s, {full['rss_urls_mb']} MB",
            f"{rt['worker_urls_s']} s, {rt['rss_urls_mb']} MB",
        ),
        (
            "worker: after one request (`GET /`)",
            f"{full['worker_request_s']} s, {full['rss_request_mb']} MB",
            f"{rt['worker_request_s']} s, {rt['rss_request_mb']} MB",
        ),
        (
            "OpenCV / numpy loaded",
            f"{full['cv2_loaded']} / {full['numpy_loaded']}",
            f"{rt['cv2_loaded']} / {rt['numpy_loaded']}",
        ),
        (
            "import time (`-X importtime`, self, summed)",
            f"{full['import_total_ms']} ms",
            f"{rt['import_total_ms']} ms",
        ),
        (
            "top importers (ms)",
            ", ".join(f"{k} {v}" for k, v in full["import_top_ms"].items()),
            ", ".join(f"{k} {v}" for k, v in rt["import_top_ms"].items()),
        ),
    ]
    lines = [
        f"| start-up, medians of {result['rounds']} (load {result.get('load_average_1m')})"
        " | full venv (runtime + dev) "
        "| runtime only (requirements.lock) |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main() -> dict:
    result = bench_startup(env_int("BENCH_STARTUP_ROUNDS", 7))
    write_result("startup", result)
    return result


if __name__ == "__main__":
    sys.stdout.write(table(main()) + "\n")
