"""`make bench`: benchmarks as ratios against a baseline run side by side.

The machine is shared and noisy, so every figure that matters is a ratio of two timings
taken in the same process, interleaved (A, B, A, B, ...), and reported with its median.
Results go to bench/results/<name>.json; a Markdown table is printed for the README.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import count_queries, interleaved, machine, setup_django, write_result


def bench_seed_and_scoping(scale: int):
    from django.test import Client

    from demo.services import demo_seed
    from trainees.models import Trainee
    from training_platform.reference.services import reference_data_load

    reference_data_load()
    start = time.perf_counter()
    summary = demo_seed(scale=scale)
    seed_seconds = time.perf_counter() - start
    trainees = Trainee.objects.count()

    # A second run must be a fast no-op.
    start = time.perf_counter()
    demo_seed(scale=scale)
    reseed_seconds = time.perf_counter() - start
    assert Trainee.objects.count() == trainees

    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    scoped, unscoped = Client(), Client()
    scoped.force_login(users.get(username="bureau_gy"))
    unscoped.force_login(users.get(username="admin"))
    url = "/admin/trainees/"

    def page(client, query=""):
        def run():
            response = client.get(url + query)
            assert response.status_code == 200

        return run

    page(scoped)(), page(unscoped)()  # warm up
    scoped_s, unscoped_s = interleaved(page(scoped), page(unscoped))
    q_scoped, q_unscoped = count_queries(page(scoped)), count_queries(page(unscoped))
    number = Trainee.objects.filter(household_region__code__startswith="5201").first()
    search = "?q=" + number.id_number
    id_search_s, name_search_s = interleaved(
        page(scoped, search), page(scoped, "?q=" + number.name[:1])
    )
    return {
        "name": "foundation",
        "machine": machine(),
        "scale": scale,
        "trainees": trainees,
        "seed_seconds": round(seed_seconds, 2),
        "seed_trainees_per_second": round(trainees / seed_seconds),
        "reseed_noop_seconds": round(reseed_seconds, 2),
        "summary": summary,
        "trainee_list_scoped_ms": round(scoped_s * 1000, 1),
        "trainee_list_unscoped_ms": round(unscoped_s * 1000, 1),
        "scoping_ratio": round(scoped_s / unscoped_s, 2),
        "trainee_list_queries_scoped": q_scoped,
        "trainee_list_queries_unscoped": q_unscoped,
        "search_by_id_ms": round(id_search_s * 1000, 1),
        "search_by_name_ms": round(name_search_s * 1000, 1),
    }


def table(result):
    rows = [
        (
            "demo seed",
            f"{result['trainees']:,} trainees in {result['seed_seconds']} s "
            f"({result['seed_trainees_per_second']:,}/s); re-run (no-op) "
            f"{result['reseed_noop_seconds']} s",
        ),
        (
            "trainee list, 贵阳 bureau (scoped) vs admin (unscoped)",
            f"{result['trainee_list_scoped_ms']} ms vs {result['trainee_list_unscoped_ms']} ms, "
            f"ratio {result['scoping_ratio']}; queries {result['trainee_list_queries_scoped']} "
            f"vs {result['trainee_list_queries_unscoped']}",
        ),
        (
            "trainee search by ID number (blind index) vs by name",
            f"{result['search_by_id_ms']} ms vs {result['search_by_name_ms']} ms",
        ),
    ]
    lines = ["| benchmark | result |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def foundation():
    scale = int(os.environ.get("BENCH_SCALE", "100"))
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        result = bench_seed_and_scoping(scale)
    write_result("foundation", result)
    sys.stdout.write(table(result) + "\n")


BENCHMARKS = ("foundation", "roster", "verify", "claim_checks", "record")
# --- c13-bench ---
BENCHMARKS += ("dashboard",)
# --- end c13-bench ---


def main():
    """Every benchmark, or only those named in ``BENCH_ONLY`` (comma-separated)."""
    only = os.environ.get("BENCH_ONLY", "")
    selected = [b.strip() for b in only.split(",") if b.strip()] or list(BENCHMARKS)
    unknown = set(selected) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown benchmark(s) {sorted(unknown)}")
    if "foundation" in selected:
        foundation()
    if "roster" in selected:
        # Runs its imports in child processes, each on its own database copy.
        from bench import roster

        roster.main()
    if "verify" in selected:
        # Seeds its own database in a child process and serves it with gunicorn.
        from bench import verify

        verify.main()
    if "claim_checks" in selected:
        # Pre-checks of 10k and 100k claims, in a child process on its own database.
        from bench import claim_checks

        claim_checks.main()
    if "record" in selected:
        # Issue 11: the lifetime record, 1 vs 100 entries, in-process.
        from bench import record

        record.main()
    # --- c13-bench ---
    if "dashboard" in selected:
        # Issue 13: the plan dashboard's queries over 1,000,000 enrolments, live and
        # from the summary, in a child process on its own database.
        from bench import dashboard

        dashboard.main()
    # --- end c13-bench ---


if __name__ == "__main__":
    main()
