"""The verification benchmark's targets (issue 5) and its Markdown table."""

TARGET_QUERIES = 2
TARGET_RATIO = 0.5


def table(result: dict) -> str:
    load = result["load"]
    q = result["queries"]
    server = result["server"]
    shapes = {" + ".join(v["kinds"]) for v in q["per_request"].values()}
    plan = "; ".join(q["lookup_plan"])
    lines = [
        "| benchmark | result |",
        "|---|---|",
        f"| certificate seed | {result['certificates']:,} certificates in "
        f"{result['seed_seconds']} s ({result['seed_per_second']:,}/s) over "
        f"{result['seed']['trainees']:,} trainees; database "
        f"{result['database_mb']:,.0f} MB |",
        f"| queries per verification by token (target ≤ {TARGET_QUERIES}) | "
        f"{q['max_queries']} (page and API, each status: {' / '.join(sorted(shapes))}); "
        f"lookup plan: `{plan}` |",
        "",
        f"| under load: {server['server']} {server['worker_class']}, "
        f"{server['workers']} workers × {server['threads']} threads; "
        f"{load['concurrency']} keep-alive clients; {load['rounds']} × "
        f"{load['seconds_per_run']:g} s interleaved | requests/s | p50 | p95 | errors "
        f"| server CPU per request | ÷ trivial (target ≥ {TARGET_RATIO}) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "trivial": "trivial view, same middleware",
        "page": "`/verify/<token>/` page",
        "api": "`/api/v1/certificates/<token>`",
    }
    ratios = {"trivial": 1, "page": load["ratio_page"], "api": load["ratio_api"]}
    for key, label in names.items():
        fig = load["targets"][key]
        lines.append(
            f"| {label} | {fig['rps']:,.0f} | {fig['p50_ms']} ms | {fig['p95_ms']} ms "
            f"| {fig['errors']} | {fig['server_cpu_ms_per_request']} ms "
            f"| {ratios[key]} |"
        )
    lines += ["", "| in-process, one thread (median) | ms |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in result["in_process_ms"].items()]
    return "\n".join(lines)
