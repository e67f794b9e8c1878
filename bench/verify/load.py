"""The load client of the verification benchmark (stdlib asyncio, keep-alive
connections) and its figures: requests/s, latency percentiles, server CPU per request."""

import asyncio
import os
import random
import statistics
import time

from bench.common import env_int
from bench.verify.server import TRIVIAL_PATH, Server

ACCEPT_LANGUAGE = b"zh-hans"  # as a browser in China sends it; the site's default


async def _read_response(reader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    version, status = lines[0].split(b" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    close = (
        version == b"HTTP/1.0" or headers.get(b"connection", b"").lower() == b"close"
    )
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if not size:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size + 2))
        body = b"".join(p[:-2] for p in parts)
    else:
        body, close = await reader.read(), True
    return int(status), body, close


async def _load(port: int, paths: list[bytes], marker: bytes, seconds, concurrency):
    latencies: list[float] = []
    failures: list[str] = []
    done = 0

    async def connection(worker: int) -> None:
        nonlocal done
        rng = random.Random(worker)
        reader = writer = None
        while time.perf_counter() < end:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            path = paths[rng.randrange(len(paths))]
            request = (
                b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Accept-Language: " + ACCEPT_LANGUAGE + b"\r\n"
                b"User-Agent: bench-verify\r\n\r\n"
            )
            start = time.perf_counter()
            try:
                writer.write(request)
                status, body, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                failures.append(f"{path.decode()}: {exc!r}")
                writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - start)
            done += 1
            if status != 200 or marker not in body:
                failures.append(f"{path.decode()}: {status} {body[:80]!r}")
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    began = time.perf_counter()
    end = began + seconds
    await asyncio.gather(*(connection(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed,
        "errors": len(failures),
        "failures": failures[:5],
        "latencies": latencies,
    }


def _summary(runs: list[dict]) -> dict:
    latencies = sorted(x for r in runs for x in r["latencies"])
    requests = sum(r["requests"] for r in runs)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
        "rps_per_round": [round(r["rps"], 1) for r in runs],
        "requests": requests,
        "errors": sum(r["errors"] for r in runs),
        "failures": [f for r in runs for f in r["failures"]][:5],
        "p50_ms": round(pct(0.50), 2) if latencies else None,
        "p95_ms": round(pct(0.95), 2) if latencies else None,
        "p99_ms": round(pct(0.99), 2) if latencies else None,
        # CPU per request: what the request costs, whatever else the machine runs.
        "server_cpu_ms_per_request": round(
            1000 * sum(r["server_cpu"] for r in runs) / max(1, requests), 3
        ),
        # Cores the server kept busy: well under the trivial view's figure means the
        # requests wait (locks, sleeps), not compute.
        "server_cores_busy": round(
            sum(r["server_cpu"] for r in runs) / sum(r["seconds"] for r in runs), 2
        ),
        "client_cpu_ms_per_request": round(
            1000 * sum(r["client_cpu"] for r in runs) / max(1, requests), 3
        ),
    }


def _measured(server, paths, marker, seconds, concurrency) -> dict:
    """One run, with the server's and the client's CPU seconds spent on it."""
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    result = asyncio.run(_load(server.port, paths, marker, seconds, concurrency))
    result["server_cpu"] = server.cpu_seconds() - server_cpu
    result["client_cpu"] = time.process_time() - client_cpu
    return result


def run_load(server: "Server", tokens: list[str]) -> dict:
    seconds = float(os.environ.get("BENCH_VERIFY_SECONDS", "8"))
    rounds = env_int("BENCH_VERIFY_ROUNDS", 3)
    concurrency = env_int("BENCH_VERIFY_CONCURRENCY", 16)
    targets = {
        "trivial": ([TRIVIAL_PATH.encode()], b"ok"),
        "page": ([f"/verify/{t}/".encode() for t in tokens], b"data-status="),
        "api": ([f"/api/v1/certificates/{t}".encode() for t in tokens], b'"status"'),
    }
    for paths, marker in targets.values():  # warm-up: connections, caches, templates
        asyncio.run(_load(server.port, paths, marker, 2, concurrency))
    runs = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (paths, marker) in targets.items():
            runs[name].append(_measured(server, paths, marker, seconds, concurrency))
    summary = {name: _summary(rs) for name, rs in runs.items()}
    per_round = [
        round(p["rps"] / t["rps"], 3)
        for p, t in zip(runs["page"], runs["trivial"], strict=True)
    ]
    return {
        "seconds_per_run": seconds,
        "rounds": rounds,
        "concurrency": concurrency,
        "targets": summary,
        "ratio_page": round(summary["page"]["rps"] / summary["trivial"]["rps"], 3),
        "ratio_api": round(summary["api"]["rps"] / summary["trivial"]["rps"], 3),
        "ratio_page_per_round": per_round,
        # The same comparison by server CPU per request: steadier on a shared machine.
        "cpu_ratio_page": _cpu_ratio(summary, "page"),
        "cpu_ratio_api": _cpu_ratio(summary, "api"),
    }


def _cpu_ratio(summary: dict, name: str) -> float | None:
    cost = summary[name]["server_cpu_ms_per_request"]
    trivial = summary["trivial"]["server_cpu_ms_per_request"]
    return round(trivial / cost, 3) if cost else None
