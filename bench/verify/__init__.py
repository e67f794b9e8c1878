"""Public certificate verification under load: 1,000,000 certificates, a real server.

Issue 5's performance target: with 1,000,000 certificates seeded, verification by token
uses at most 2 SQL queries, and under concurrent load on the same server it reaches at
least 50% of the throughput of a trivial view that goes through the same middleware.

1. **Seed** (child process, ``bench.settings`` on a fresh SQLite file in a temporary
   directory): migrate, reference data, ``demo_seed`` (institutions, trainees), then
   :func:`seed_certificates` inserts the certificates set-based: row tuples in the
   column order of ``Certificate._meta``, ``executemany`` in batches of 10,000, a commit
   every 100,000 rows, the table's secondary indexes rebuilt once at the end. Numbers
   follow ``certificates.numbering`` (the serial series are stored, so later issuance
   continues after them), tokens come from ``secrets``, fact keys are ``bench:<id>``.
   About 2% are revoked, 2% superseded by a reissue (written in the same transaction),
   and about a quarter are expired.
2. **Queries** (same child, in-process): one verification of each displayed status
   through the test client under ``CaptureQueriesContext``, page and JSON API, and the
   ``EXPLAIN QUERY PLAN`` of the token lookup (it must use the unique index on token).
   Then median in-process timings of whole requests and of the parts of a page
   verification (lookup, log INSERT, rendering), to show where the time goes.
3. **Load** (parent): gunicorn serves ``training_platform.wsgi`` with ``bench.settings``
   (DEBUG off, the project's middleware, rate limit ON and counted in Redis, ``bench.urls`` = the project's
   URLs plus ``/bench/trivial/``) on a free port of 127.0.0.1, in its own process group,
   stopped whatever happens. A stdlib asyncio client keeps
   ``BENCH_VERIFY_CONCURRENCY`` keep-alive connections busy for ``BENCH_VERIFY_SECONDS``
   per run: the trivial view, ``/verify/<token>/`` and ``/api/v1/certificates/<token>``
   (random tokens of the seeded set), interleaved (trivial, page, API, trivial, ...)
   for ``BENCH_VERIFY_ROUNDS`` rounds after a warm-up. Every answer must be 200 with a
   certificate in it. Reported per target: requests/s (median of the rounds), p50/p95/
   p99 latency, errors, and the server's CPU per request (``/proc`` of the gunicorn
   processes), which stays meaningful when other jobs share the machine.

Environment: ``BENCH_CERTIFICATES`` (1000000), ``BENCH_VERIFY_SCALE`` (demo scale for
the trainees, 10 = 2,400 people), ``BENCH_VERIFY_WORKERS`` (2), ``BENCH_VERIFY_THREADS``
(4), ``BENCH_VERIFY_WORKER_CLASS`` (gthread), ``BENCH_VERIFY_CONCURRENCY`` (16),
``BENCH_VERIFY_SECONDS`` (8), ``BENCH_VERIFY_ROUNDS`` (3), ``BENCH_VERIFY_PROFILE=1``
(adds a cProfile of 500 in-process page verifications to the output and the JSON).

``BENCH_ONLY=verify make bench`` or ``python -m bench.verify`` runs it alone; results go
to ``bench/results/verify.json``. gunicorn is a bench-only dependency
(requirements-bench.lock).

The package, by step: ``seed`` (the certificates, set-based), ``prepare`` (the child
process: migrate, seed, count queries, in-process timings), ``server`` (gunicorn and
its settings), ``load`` (the asyncio client and its figures), ``report`` (targets and
the Markdown table), ``main`` (the parent: runs the child, the server and the load,
writes the results); ``bench.common`` holds what every benchmark shares.
"""

from bench.verify.main import bench_verify, main

__all__ = ["bench_verify", "main"]
