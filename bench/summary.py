"""The one table of ``make bench``: a row per measured thing - what, our figure, the
baseline named exactly, the ratio - made from the results' JSON (bench/results/*.json).

Each ``*_rows(result)`` turns one benchmark's result into rows; ``rows_table`` prints
them as Markdown; ``summary_table(results)`` makes the whole table from every result
present. A benchmark that was not run this time has no rows.
"""

Row = tuple[str, str, str, str]


def _s(seconds) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:,.2f} s"
    return f"{seconds * 1000:,.1f} ms"


def _x(ratio) -> str:
    return "—" if ratio is None else f"{ratio:g}×"


def rows_table(rows: list[Row]) -> str:
    lines = [
        "| what | ours | baseline | ratio (ours ÷ baseline) |",
        "|---|---:|---|---:|",
    ]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def roster_rows(result: dict) -> list[Row]:
    rows: list[Row] = []
    for fig in result["sizes"].values():
        n = f"{fig['rows']:,}"

        def cpu(mode, fig=fig):
            value = fig.get(f"{mode}_cpu_seconds")
            return "" if value is None else f" (CPU {_s(value)})"

        plain, defused = fig["openpyxl_plain_seconds"], fig["openpyxl_defused_seconds"]
        for mode, what in (
            ("dryrun", f"roster dry-run, {n} rows, in-process (target ≤ 0.5×)"),
            ("import", f"roster import (writes), {n} rows, in-process"),
        ):
            ours = fig[f"{mode}_seconds"]
            rows.append(
                (
                    what,
                    _s(ours) + cpu(mode),
                    "openpyxl read-only read, no defusedxml (plain install) — "
                    + _s(plain)
                    + cpu("openpyxl_plain"),
                    _x(fig[f"{mode}_vs_openpyxl_plain"]),
                )
            )
            rows.append(
                (
                    what,
                    _s(ours),
                    f"openpyxl read-only read, defusedxml importable — {_s(defused)}",
                    _x(fig[f"{mode}_vs_openpyxl_defused"]),
                )
            )
        command = fig["process_command_seconds"]
        rows.append(
            (
                f"`import_roster --dry-run` as a whole process, {n} rows "
                "(what a user waits for; target ≤ 1×)",
                _s(command) + cpu("process_command"),
                "`python -c` plain openpyxl read, whole process, no defusedxml — "
                + _s(fig["process_openpyxl_plain_seconds"])
                + cpu("process_openpyxl_plain"),
                _x(fig["command_vs_plain_read_process"]),
            )
        )
        rows.append(
            (
                f"`import_roster --dry-run` as a whole process, {n} rows",
                _s(command),
                "the same `python -c` read with defusedxml importable — "
                + _s(fig["process_openpyxl_defused_seconds"]),
                _x(fig["command_vs_defused_read_process"]),
            )
        )
        rows.append(
            (
                "`manage.py import_roster --help` (start-up alone)",
                _s(fig["process_help_seconds"]) + cpu("process_help"),
                "`python -c` plain openpyxl read, whole process",
                _x(
                    round(
                        fig["process_help_seconds"]
                        / fig["process_openpyxl_plain_seconds"],
                        2,
                    )
                ),
            )
        )
        if fig.get("peer_seconds") is not None:
            rows.append(
                (
                    f"roster import (writes), {n} rows, in-process",
                    _s(fig["import_seconds"]),
                    "django-import-export 4.4.3 bulk import of the same file — "
                    + _s(fig["peer_seconds"]),
                    _x(round(fig["import_seconds"] / fig["peer_seconds"], 2))
                    + f" (peer is {fig['peer_ratio']}× ours; target ≥ 5)",
                )
            )
    return rows


def verify_rows(result: dict) -> list[Row]:
    load = result["load"]
    t = load["targets"]
    rate = result.get("rate_limit", {})
    cache = result.get("cache", {})
    setup = (
        f"rate limit {rate.get('value', 'off')} counted in {cache.get('location', '?')}"
        if rate
        else "rate limit off, local-memory cache"
    )
    rows = []
    for key, label in (
        ("page", "`/verify/<token>/` page"),
        ("api", "verification API"),
    ):
        rows.append(
            (
                f"{label} under load, {result['certificates']:,} certificates, "
                f"gunicorn {result['server']['workers']}×{result['server']['threads']}, "
                f"{setup} (target ≥ 0.5)",
                f"{t[key]['rps']:,.0f} req/s, p95 {t[key]['p95_ms']} ms, "
                f"{t[key]['errors']} errors",
                f"trivial view, same server and middleware — {t['trivial']['rps']:,.0f} "
                f"req/s",
                _x(load[f"ratio_{key}"])
                + f" (server CPU/request ratio {load.get(f'cpu_ratio_{key}')})",
            )
        )
    rows.append(
        (
            "queries per verification",
            str(result["queries"]["max_queries"]),
            "target ≤ 2",
            "",
        )
    )
    return rows


def claim_checks_rows(result: dict) -> list[Row]:
    rows = []
    sizes = result["sizes"]
    base = result["baseline"]
    for size, fig in sizes.items():
        rows.append(
            (
                f"subsidy pre-checks, {int(size):,} claims, set-based "
                f"({fig['queries_check']} queries)",
                f"{_s(fig['check_seconds'])} ({fig['check_claims_per_second']:,}/s)",
                f"`claims_check([claim])` one claim at a time — "
                f"{base['claims_per_second']:,} claims/s",
                _x(
                    round(base["claims_per_second"] / fig["check_claims_per_second"], 3)
                ),
            )
        )
    keys = list(sizes)
    if len(keys) >= 2:
        rows.append(
            (
                f"pre-checks, {int(keys[-1]):,} ÷ {int(keys[0]):,} claims "
                "(target ≤ 12× for 10× the claims)",
                _s(sizes[keys[-1]]["check_seconds"]),
                f"{int(keys[0]):,} claims — {_s(sizes[keys[0]]['check_seconds'])}",
                _x(result["ratio_check"]),
            )
        )
    return rows


def record_rows(result: dict) -> list[Row]:
    rows = []
    for kind, label in (("page", "page"), ("xlsx", "xlsx"), ("pdf", "PDF")):
        rows.append(
            (
                f"lifetime record {label}, 100 entries "
                f"({result[f'{kind}_queries_100']} queries)",
                f"{result[f'{kind}_100_ms']} ms",
                f"the same for 1 entry — {result[f'{kind}_1_ms']} ms",
                _x(result[f"{kind}_ratio"])
                + (" (target ≤ 2)" if kind == "page" else ""),
            )
        )
    return rows


def dashboard_rows(result: dict) -> list[Row]:
    seed = result["seed"]
    rows = [
        (
            f"province seed ({seed['enrolments']:,} enrolments, {seed['trainees']:,} "
            f"trainees, {seed['certificates']:,} certificates; {result['database']})",
            f"{seed['seconds']} s",
            "",
            "",
        )
    ]
    base = result["baseline"]["what"]
    live = result["live"]["queries"]
    summary = result["from_summary"]["queries"]
    slowest = max(live.values(), key=lambda t: t["seconds"])
    rows.append(
        (
            f"slowest live indicator query (`{slowest['query_key']}` by "
            f"{slowest['grouping']})",
            _s(slowest["seconds"]),
            f"`{base}` — {_s(slowest['baseline_seconds'])}",
            _x(slowest["ratio_to_baseline"]),
        )
    )
    worst = max(summary.values(), key=lambda t: t["seconds"])
    rows.append(
        (
            f"slowest indicator query from the summary (`{worst['query_key']}` by "
            f"{worst['grouping']})",
            _s(worst["seconds"]),
            f"`{base}` — {_s(worst['baseline_seconds'])}",
            _x(worst["ratio_to_baseline"]),
        )
    )
    for name, t in (result["from_summary"].get("views") or {}).items():
        if not name.startswith("dashboard/"):
            continue
        rows.append(
            (
                f"统计监测 overview as the {name.split('/')[1]} bureau, from the "
                f"summary ({t['queries']} queries)",
                _s(t["seconds"]),
                f"`{base}` — {_s(t['baseline_seconds'])}",
                _x(t["ratio_to_baseline"]),
            )
        )
    for name, t in (result["live"].get("views") or {}).items():
        rows.append(
            (
                f"统计监测 overview as the {name.split('/')[1]} bureau, live "
                f"({t['queries']} queries)",
                _s(t["seconds"]),
                f"`{base}` — {_s(t['baseline_seconds'])}",
                _x(t["ratio_to_baseline"]),
            )
        )
    refresh = result["summary_refresh"]
    rows.append(
        (
            "summary_refresh() (background task)",
            f"{refresh['seconds']} s, {refresh['queries']} queries",
            "",
            "",
        )
    )
    return rows


def lists_rows(result: dict) -> list[Row]:
    rows = []
    trivial = next(
        (r["seconds"] for r in result["rows"] if r["url"] == "/bench/trivial/"), None
    )
    for r in result["rows"]:
        beside = (
            f"; {r['seconds'] / trivial:.1f}× the trivial view"
            if trivial and r["url"] != "/bench/trivial/"
            else ""
        )
        rows.append(
            (
                f"{r['what']} as {r['as']} ({r['queries']} queries)",
                _s(r["seconds"]),
                f"`{r['baseline']}` ({r['baseline_rows']:,} rows) — "
                f"{_s(r['baseline_seconds'])}",
                _x(r["ratio"]) + beside,
            )
        )
    return rows


def foundation_rows(result: dict) -> list[Row]:
    return [
        (
            f"demo seed, scale {result['scale']} ({result['trainees']:,} trainees)",
            f"{result['seed_seconds']} s",
            f"re-run (no-op) — {result['reseed_noop_seconds']} s",
            "",
        ),
        (
            "trainee list, 贵阳 bureau (scoped), "
            f"{result['trainee_list_queries_scoped']} queries",
            f"{result['trainee_list_scoped_ms']} ms",
            f"the same list as admin (unscoped) — {result['trainee_list_unscoped_ms']} "
            "ms",
            _x(result["scoping_ratio"]),
        ),
    ]


MAKERS = {
    "roster": roster_rows,
    "verify": verify_rows,
    "claim_checks": claim_checks_rows,
    "record": record_rows,
    "dashboard": dashboard_rows,
    "lists": lists_rows,
    "foundation": foundation_rows,
}


def summary_rows(results: dict) -> list[Row]:
    rows = []
    for name, make in MAKERS.items():
        if name in results:
            rows += make(results[name])
    return rows


def summary_table(results: dict) -> str:
    return rows_table(summary_rows(results))
