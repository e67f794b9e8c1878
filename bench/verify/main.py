"""The parent side of the verification benchmark: the child prepares the database, the
server serves it, the load client measures it; results to bench/results/verify.json."""

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, env_int, machine, write_result
from bench.verify.load import run_load
from bench.verify.prepare import child_prepare
from bench.verify.report import TARGET_QUERIES, TARGET_RATIO, table
from bench.verify.server import Server, server_config


def _run_child(*args) -> dict:
    proc = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.verify", "--child", *map(str, args)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"bench.verify child {args[0]} failed ({proc.returncode})")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def _redis_counters(url: str) -> dict:
    """The verification rate limit's counters in the bench's Redis database: proof that
    the server counted every request there (``training_platform.ratelimit``)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match="*rl:verify:*", count=1000))
    return {
        "keys": len(keys),
        "counted": sum(int(client.get(k) or 0) for k in keys),
    }


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()  # the bench's own database number only


def bench_verify() -> dict:
    # --- c14-bench: Redis as the cache, the rate limit on (bench/settings.py) ---
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    rate = os.environ.get("BENCH_VERIFY_RATE", "100000000/3600")
    _redis_flush(redis_url)
    # --- end c14-bench ---
    count = env_int("BENCH_CERTIFICATES", 1_000_000)
    scale = env_int("BENCH_VERIFY_SCALE", 10)
    config = server_config()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        db = Path(tmp) / "verify.sqlite3"
        tokens_file = Path(tmp) / "tokens.json"
        prepared = _run_child("prepare", db, count, scale, tokens_file)
        tokens = json.loads(tokens_file.read_text(encoding="utf-8"))
        with Server(
            db,
            Path(tmp) / "gunicorn.log",
            workers=config["workers"],
            threads=config["threads"],
            worker_class=config["worker_class"],
        ) as server:
            load = run_load(server, tokens)
            server_log = server.tail()
    counters = _redis_counters(redis_url)
    verified = sum(
        load["targets"][t]["requests"] for t in ("page", "api") if t in load["targets"]
    )
    seed = prepared["seed"]
    queries = prepared["queries"]
    verify_errors = load["targets"]["page"]["errors"] + load["targets"]["api"]["errors"]
    return {
        "name": "verify",
        "machine": machine(),
        "targets": {"max_queries": TARGET_QUERIES, "min_ratio": TARGET_RATIO},
        "certificates": count,
        "seed_seconds": round(seed["seconds"], 2),
        "seed_per_second": round(seed["per_second"]),
        "seed": {k: v for k, v in seed.items() if k not in ("seconds", "per_second")},
        "setup_seconds": round(prepared["setup_seconds"], 2),
        "database_mb": round(prepared["database_mb"], 1),
        "queries": queries,
        "in_process_ms": prepared["in_process_ms"],
        "server": config,
        "cache": {
            "backend": "django.core.cache.backends.redis.RedisCache",
            "location": redis_url,
        },
        "rate_limit": {
            "setting": "CERTIFICATE_VERIFY_RATE",
            "value": rate,
            "on": True,
            "counters_in_redis": counters,
            "verification_requests_in_load": verified,
        },
        "load": load,
        "sample_tokens": len(tokens),
        "meets_targets": {
            "queries": queries["max_queries"] <= TARGET_QUERIES,
            "ratio": load["ratio_page"] >= TARGET_RATIO,
            # Every verification request of the load passed through the Redis counter
            # (the warm-up and the in-process child count too: at least as many).
            "rate_limit_counted_in_redis": counters["counted"] >= verified > 0,
            "no_errors": verify_errors == 0
            and load["targets"]["trivial"]["errors"] == 0,
        },
        "server_log_tail": server_log,
        **({"profile_page": prepared["profile"]} if prepared["profile"] else {}),
    }


def main() -> dict:
    # A TERM to the bench must still stop the server (the with block's finally).
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        result = bench_verify()
    finally:
        signal.signal(signal.SIGTERM, previous)
    write_result("verify", result)
    sys.stdout.write(table(result) + "\n")
    if "profile_page" in result:
        sys.stdout.write(result["profile_page"])
    return result


def child(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "prepare":
        out = child_prepare(args[0], int(args[1]), int(args[2]), args[3])
    else:
        raise SystemExit(f"unknown mode {mode}")
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
