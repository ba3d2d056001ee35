"""Redis paused (SIGSTOP) under 100 concurrent dispatch requests: what happens to the rest of
the service, for three ways of dispatching from a FastAPI handler.

    python benchmarks/outage.py [--window 20] [--requests 100] [--json PATH | --json -]

(i)   ``plain``      ``record.apply_async(...)`` in the handler, on the event loop
(ii)  ``to_thread``  ``await asyncio.to_thread(record.apply_async, ...)``: the approach of the
                     widely shared "FastAPI and Celery" article (its patched task class runs
                     ``apply_async`` through ``asyncio.to_thread``), stock Celery settings
(iii) ``x``          ``await record.apply_asyncx(...)`` with codemod/celery_async.py

Each variant gets a fresh redis-server (broker and result backend, as the article sets it up)
and a fresh uvicorn serving tests/runtime_app.py. After warm-up (three dispatches, the default
executor's threads started, one DNS lookup) Redis is paused, and at once ``--requests``
dispatch requests are sent while a process of its own (so that the load generator's GIL
does not delay it) probes three unrelated endpoints every 50 ms: ``/ping`` (nothing),
``/dns`` (``loop.getaddrinfo("localhost", 80)``) and ``/executor``
(``loop.run_in_executor(None, ...)``). Latencies are client round trips; for
``/dns`` and ``/executor`` the server also reports the time inside the handler. Whatever has
not answered ``--window`` seconds after the start counts as "> window". Then Redis resumes.

Budgets for (iii): the three probes p99 <= 50 ms; dispatch fails with BrokerUnavailable
(HTTP 503) with p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from typing import Any

import _runtime
import httpx
from _runtime import fmt, percentile, table, write_json
from servers import RedisServer, UvicornServer
from storm import PROBES, StormResult, latencies, storm

VARIANTS = {
    "plain": "(i) plain .delay()",
    "to_thread": "(ii) asyncio.to_thread",
    "x": "(iii) celery_async",
}
BUDGET = {"probe_p99": 0.050, "dispatch_p99": 1.0}


def warm_up(web: UvicornServer) -> int:
    """Bring the server to a running service's state; returns its thread count."""
    with httpx.Client(base_url=web.base_url, timeout=30) as http:
        for n in range(3):
            response = http.post(f"/dispatch/warm-{n}")
            assert response.status_code == 200, response.text

        async def fill_default_executor() -> None:
            async with httpx.AsyncClient(base_url=web.base_url, timeout=30) as client:
                await asyncio.gather(*(client.get("/executor?sleep=0.05") for _ in range(20)))

        asyncio.run(fill_default_executor())
        assert http.get("/dns").status_code == 200
        return int(http.get("/ping").json()["threads"])


def summarize(result: StormResult, threads: int) -> dict[str, Any]:
    def stats(seconds: list[float]) -> dict[str, Any]:
        return {
            "p50": percentile(seconds, 50),
            "p99": percentile(seconds, 99),
            "max": max(seconds),
            "samples": len(seconds),
            "not_answered": sum(math.isinf(s) for s in seconds),
        }

    summary: dict[str, Any] = {p: stats(latencies(result.probes[p])) for p in PROBES}
    for probe, inside in result.server_seconds.items():
        summary[f"{probe} (in server)"] = stats(inside) if inside else None
    statuses: dict[str, int] = {}
    for request in result.requests:
        key = str(request.status) if request.status is not None else "no answer"
        statuses[key] = statuses.get(key, 0) + 1
    summary["dispatch"] = {**stats(latencies(result.requests)), "statuses": statuses}
    summary["threads"] = {"before": threads, "max": result.max_threads}
    return summary


def run_variant(variant: str, requests: int, window: float) -> dict[str, Any]:
    project = _runtime.project()
    with RedisServer() as redis:
        env = {"BROKER_URL": redis.url(), "BACKEND_URL": redis.url(), "DISPATCH": variant}
        with UvicornServer("runtime_app:api", cwd=project, env=env, ready_path="/ping") as web:
            threads = warm_up(web)
            redis.pause()
            try:
                keys = [f"{variant}-{n}" for n in range(requests)]
                result = asyncio.run(storm(web.base_url, web.pid, keys, window=window, linger=1.0))
            finally:
                redis.resume()
    return summarize(result, threads)


def ratio(slow: float, fast: float, window: float) -> str:
    if math.isinf(slow):
        return f"> {window / fast:,.0f}x" if fast > 0 else "-"
    return f"{slow / fast:,.1f}x" if fast > 0 else "-"


def report(results: dict[str, dict[str, Any]], window: float) -> str:
    rows = [["p50 / p99", *(VARIANTS[v] for v in results)]]
    for metric in (*PROBES, "/dns (in server)", "/executor (in server)", "dispatch"):
        cells = []
        for summary in results.values():
            stats = summary[metric]
            cells.append(
                f"{fmt(stats['p50'], window)} / {fmt(stats['p99'], window)}" if stats else "-"
            )
        rows.append([metric, *cells])
    rows.append(["dispatch answers", *(str(s["dispatch"]["statuses"]) for s in results.values())])
    rows.append(
        [
            "threads before -> max",
            *(f"{s['threads']['before']} -> {s['threads']['max']}" for s in results.values()),
        ]
    )
    lines = [table(rows)]
    if "x" in results:
        ours = results["x"]
        lines.append("")
        ratio_rows = [["p99 vs (iii)", *(VARIANTS[v] for v in results if v != "x")]]
        for metric in (*PROBES, "dispatch"):
            ratio_rows.append(
                [
                    metric,
                    *(
                        ratio(results[v][metric]["p99"], ours[metric]["p99"], window)
                        for v in results
                        if v != "x"
                    ),
                ]
            )
        if len(ratio_rows[0]) > 1:
            lines.append(table(ratio_rows))
        lines.append("")
        for probe in PROBES:
            p99 = ours[probe]["p99"]
            verdict = "ok" if p99 <= BUDGET["probe_p99"] else "OVER"
            lines.append(f"budget {probe} p99 {fmt(p99)} <= 50 ms: {verdict}")
        dispatch = ours["dispatch"]
        all_503 = dispatch["statuses"] == {"503": dispatch["samples"]}
        verdict = "ok" if dispatch["p99"] <= BUDGET["dispatch_p99"] and all_503 else "OVER"
        lines.append(
            f"budget dispatch fails (503) p99 {fmt(dispatch['p99'])} <= 1 s, "
            f"all {dispatch['samples']} answered 503: {verdict}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=20.0, help="seconds to wait (20)")
    parser.add_argument("--requests", type=int, default=100, help="concurrent dispatches (100)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="plain,to_thread,x")
    parser.add_argument("--json", metavar="PATH", help="JSON to PATH ('-': stdout)")
    args = parser.parse_args()

    results: dict[str, dict[str, Any]] = {}
    for variant in args.variants.split(","):
        start = time.perf_counter()
        print(f"{VARIANTS[variant]} ...", file=sys.stderr, flush=True)
        results[variant] = run_variant(variant, args.requests, args.window)
        print(f"  done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    output = report(results, args.window)
    print(output, file=sys.stderr if args.json == "-" else sys.stdout)
    write_json(
        {
            "benchmark": "outage",
            "window_seconds": args.window,
            "requests": args.requests,
            "variants": VARIANTS,
            "results": results,
            "budget": BUDGET,
        },
        args.json,
        "outage",
    )


if __name__ == "__main__":
    main()
