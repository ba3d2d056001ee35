"""Healthy Redis: what ``await delayx`` costs over ``delay``, per call and in throughput.

    python benchmarks/dispatch.py [--calls 1000] [--rounds 7] [--json PATH | --json -]

In one process against a fresh redis-server (broker and result backend), no worker:

* latency: ``--calls`` pairs, each a ``delay()`` on a stock Celery app and an
  ``await delayx()`` on a CeleryAsync app (same broker, same task name), interleaved so
  that drift hits both; p50 and p99 of each, and the difference of the p50s.
* throughput, ``--rounds`` times in alternating order: ``--calls`` sequential ``delay()``
  calls vs ``--calls`` concurrent ``delayx()`` calls (one ``asyncio.gather``), wall time
  until the last returned; medians and best of the rounds. The process CPU time per call
  (all threads) is shown beside it.

Redis is flushed between measurements, so queues do not grow.

Budgets: ``await delayx`` adds <= 0.3 ms per call over ``delay`` (p50); concurrent
``delayx`` throughput >= sequential ``delay`` throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis
from _runtime import fmt, percentile, table, write_json  # first: it sets sys.path
from celery import Celery
from celery_async_codemod.celery_async import CeleryAsync
from servers import RedisServer

BUDGET = {"overhead_p50_seconds": 0.0003, "throughput_ratio": 1.0}


def timed_rounds(
    rounds: int, legs: dict[str, Callable[[], Awaitable[None]]], flush: Callable[[], Any]
) -> dict[str, list[tuple[float, float]]]:
    """(wall, cpu) seconds of each leg per round, the legs' order rotated every round."""
    names = list(legs)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in names}

    async def run() -> None:
        for n in range(rounds):
            for name in names[n % len(names) :] + names[: n % len(names)]:
                flush()
                cpu, wall = time.process_time(), time.perf_counter()
                await legs[name]()
                timings[name].append((time.perf_counter() - wall, time.process_time() - cpu))

    asyncio.run(run())
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pool-size", type=int, help="async_dispatch_pool_size (default: 8)")
    parser.add_argument("--json", metavar="PATH", help="JSON to PATH ('-': stdout)")
    args = parser.parse_args()
    calls = args.calls

    with RedisServer() as server:
        client = redis.Redis.from_url(server.url())
        stock = Celery("stock", broker=server.url(), backend=server.url(), set_as_current=False)
        options = {} if args.pool_size is None else {"async_dispatch_pool_size": args.pool_size}
        ours = CeleryAsync(
            "ours", broker=server.url(), backend=server.url(), set_as_current=False, **options
        )

        @stock.task(name="bench.noop", shared=False)
        def sync_noop() -> None: ...

        @ours.task(name="bench.noop", shared=False)
        def async_noop() -> None: ...

        async def latency() -> dict[str, list[float]]:
            samples: dict[str, list[float]] = {"delay": [], "delayx": []}
            for _ in range(300):  # warm-up: connections, pools, threads
                sync_noop.delay()
                await async_noop.delayx()
            client.flushall()
            for n in range(calls):
                start = time.perf_counter()
                sync_noop.delay()
                samples["delay"].append(time.perf_counter() - start)
                start = time.perf_counter()
                await async_noop.delayx()
                samples["delayx"].append(time.perf_counter() - start)
                if n % 500 == 499:
                    client.flushall()
            return samples

        samples = asyncio.run(latency())

        async def sequential() -> None:
            for _ in range(calls):
                sync_noop.delay()

        async def concurrent() -> None:
            await asyncio.gather(*(async_noop.delayx() for _ in range(calls)))

        legs = {"sequential delay": sequential, "concurrent delayx": concurrent}
        timings = timed_rounds(args.rounds, legs, client.flushall)
        ours.close()

    p50 = {name: percentile(values, 50) for name, values in samples.items()}
    p99 = {name: percentile(values, 99) for name, values in samples.items()}
    overhead = p50["delayx"] - p50["delay"]
    rate = {name: [calls / wall for wall, _ in runs] for name, runs in timings.items()}
    cpu = {name: statistics.median(c / calls for _, c in runs) for name, runs in timings.items()}
    median_rate = {name: statistics.median(values) for name, values in rate.items()}
    throughput_ratio = median_rate["concurrent delayx"] / median_rate["sequential delay"]

    rows = [
        ["per call", "p50", "p99"],
        ["delay (stock Celery)", fmt(p50["delay"]), fmt(p99["delay"])],
        ["await delayx (CeleryAsync)", fmt(p50["delayx"]), fmt(p99["delayx"])],
    ]
    print(table(rows))
    print()
    rows = [["throughput", "median", "best", "CPU per call"]]
    for name in legs:
        rows.append(
            [
                f"{calls} {name}",
                f"{median_rate[name]:,.0f}/s",
                f"{max(rate[name]):,.0f}/s",
                fmt(cpu[name]),
            ]
        )
    print(table(rows))
    print()
    verdict = "ok" if overhead <= BUDGET["overhead_p50_seconds"] else "OVER"
    print(f"budget: delayx p50 overhead {fmt(overhead)} <= 0.3 ms: {verdict}")
    verdict = "ok" if throughput_ratio >= BUDGET["throughput_ratio"] else "UNDER"
    print(f"budget: concurrent delayx / sequential delay {throughput_ratio:.2f}x >= 1: {verdict}")
    write_json(
        {
            "benchmark": "dispatch",
            "calls": calls,
            "rounds": args.rounds,
            "pool_size": args.pool_size,
            "latency_seconds": {"p50": p50, "p99": p99, "p50_overhead": overhead},
            "throughput_per_second": {"rounds": rate, "median": median_rate},
            "cpu_seconds_per_call": cpu,
            "throughput_ratio": throughput_ratio,
            "budget": BUDGET,
        },
        args.json,
        "dispatch",
    )


if __name__ == "__main__":
    main()
