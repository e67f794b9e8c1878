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


def _scale() -> tuple[float, int]:
    """``BENCH_SCALE``: the fraction of every benchmark's full size (default 1); a value
    above 1 is read as before, the demo scale of ``foundation`` alone."""
    raw = float(os.environ.get("BENCH_SCALE", "1") or 1)
    if raw > 1:
        return 1.0, int(raw)
    return raw, max(1, round(100 * raw))


def foundation():
    _fraction, scale = _scale()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        result = bench_seed_and_scoping(scale)
    write_result("foundation", result)
    sys.stdout.write(table(result) + "\n")


BENCHMARKS = ("foundation", "roster", "verify", "claim_checks", "record")
# --- c13-bench ---
BENCHMARKS += ("dashboard",)
# --- end c13-bench ---
# --- c14-bench ---
BENCHMARKS += ("lists",)


def scaled_environment(fraction: float) -> dict:
    """The size settings of every benchmark for ``BENCH_SCALE`` (those already set in
    the environment win)."""
    if fraction >= 1:
        return {}

    def n(full: int, floor: int) -> str:
        return str(max(floor, round(full * fraction)))

    sizes = {
        "BENCH_ROSTER_ROWS": n(50_000, 1_000),
        "BENCH_CERTIFICATES": n(1_000_000, 10_000),
        "BENCH_VERIFY_SECONDS": "3",
        "BENCH_VERIFY_SCALE": n(10, 1),
        "BENCH_CHECKS_SIZES": f"{n(10_000, 500)},{n(100_000, 5_000)}",
        "BENCH_CHECKS_BASELINE": n(1_000, 100),
        "BENCH_DASHBOARD_ENROLMENTS": n(1_000_000, 20_000),
        "BENCH_DASHBOARD_ROUNDS": "3",
        "BENCH_LISTS_ROUNDS": "3",
        "BENCH_RECORD_ROUNDS": "5",
    }
    return {k: v for k, v in sizes.items() if k not in os.environ}


def _step(name: str, number: int, total: int) -> None:
    sys.stderr.write(f"\n=== bench {number}/{total}: {name} ===\n")
    sys.stderr.flush()


def run(selected: list[str]) -> dict:
    """Run the selected benchmarks (their own tables go to stderr with the progress);
    the results by name."""
    import contextlib
    import json

    from bench.common import RESULTS

    steps = [b for b in BENCHMARKS if b in selected and b not in ("lists",)]
    province_parts = [p for p in ("dashboard", "lists") if p in selected]
    if "lists" in selected and "dashboard" not in selected:
        steps.append("lists")
    total = len(steps)
    results = {}
    for number, name in enumerate(steps, start=1):
        _step(
            name if name not in ("dashboard", "lists") else " + ".join(province_parts),
            number,
            total,
        )
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            if name == "foundation":
                foundation()
            elif name == "roster":
                # Its imports in child processes, each on its own database copy.
                from bench import roster

                roster.main()
            elif name == "verify":
                # Seeds its own database in a child process, serves it with gunicorn,
                # Redis as the cache and the rate limit on.
                from bench import verify

                verify.main()
            elif name == "claim_checks":
                from bench import claim_checks

                claim_checks.main()
            elif name == "record":
                from bench import record

                record.main()
            elif name in ("dashboard", "lists"):
                # One province-scale database for both (bench.province).
                from bench import province

                province.main(province_parts)
        sys.stderr.write(f"=== {name}: {time.perf_counter() - start:.0f} s ===\n")
        for part in province_parts if name in ("dashboard", "lists") else [name]:
            path = RESULTS / f"{part}.json"
            results[part] = json.loads(path.read_text(encoding="utf-8"))
    return results


def main():
    """Every benchmark, or only those named in ``BENCH_ONLY`` (comma-separated), at
    ``BENCH_SCALE``; prints one Markdown table and writes bench/results/summary.json."""
    from bench.summary import summary_rows, summary_table

    only = os.environ.get("BENCH_ONLY", "")
    selected = [b.strip() for b in only.split(",") if b.strip()] or list(BENCHMARKS)
    unknown = set(selected) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown benchmark(s) {sorted(unknown)}")
    fraction, _demo_scale = _scale()
    os.environ.update(scaled_environment(fraction))
    start = time.perf_counter()
    results = run(selected)
    rows = summary_rows(results)
    write_result(
        "summary",
        {
            "name": "summary",
            "machine": machine(),
            "scale": fraction,
            "benchmarks": selected,
            "seconds": round(time.perf_counter() - start, 1),
            "columns": ["what", "ours", "baseline", "ratio"],
            "rows": [list(r) for r in rows],
        },
    )
    sys.stdout.write(summary_table(results) + "\n")


# --- end c14-bench ---


if __name__ == "__main__":
    main()
