"""Settings for the verification load test (bench/verify/): production-like serving.

The test settings (fixed keys, no external services) with what matters for a load test
as production has it: ``DEBUG = False``, the project's middleware unchanged, persistent
database connections, SQLite in WAL mode as ``base.py`` configures it. Only for the
bench: the database is the seeded file named by ``BENCH_DATABASE`` and the URLconf adds
a trivial view to compare against.

As production runs it: the cache is Redis (``BENCH_REDIS_URL``, default
``redis://127.0.0.1:6379/2``, the bench's own database number) and the verification
rate limit is ON, counted in that Redis on every verification request. Its limit
(``BENCH_VERIFY_RATE``) is set high enough that the load test's single client address
is never refused (an hour's window, so the counters outlive the run and are
counted after it): every request pays the counter (one ``add``/``incr`` round trip),
and a 429 would show as an error in the results.
"""

from training_platform.settings.base import env
from training_platform.settings.test import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env("BENCH_DATABASE", "bench-verify.sqlite3"),
        # As training_platform.settings.base configures SQLite (DJANGO_CONN_MAX_AGE).
        "CONN_MAX_AGE": int(env("DJANGO_CONN_MAX_AGE", "60")),
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
# --- c14-bench ---
BENCH_REDIS_URL = env("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": BENCH_REDIS_URL,
    }
}
CERTIFICATE_VERIFY_RATE = env("BENCH_VERIFY_RATE", "100000000/3600")
# --- end c14-bench ---
# As base.py has it (the test settings write each log row at once).
CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS = float(
    env("CERTIFICATE_VERIFY_LOG_FLUSH_SECONDS", "0.5")
)
ROOT_URLCONF = "bench.urls"
