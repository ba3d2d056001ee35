"""Healthy broker: what ``await delayx`` costs over ``delay``, per call and in throughput.

    python benchmarks/dispatch.py [--broker redis|amqp] [--calls 1000] [--rounds 7]
                                  [--json PATH | --json -]

In one process against a fresh broker, no worker (``redis``: redis-server as broker and
result backend; ``amqp``: a RabbitMQ node, no result backend):

* latency: ``--calls`` rounds of a ``delay()`` on a stock Celery app and an
  ``await delayx()`` on a CeleryAsync app (same broker, same task name), interleaved so
  that drift hits both; on RabbitMQ also ``delay()`` on a stock app with publisher confirms
  (``confirm_publish``), which is what the runtime does to lose nothing. p50 and p99 of each.
* throughput, ``--rounds`` times in alternating order: ``--calls`` sequential ``delay()``
  calls vs ``--calls`` concurrent ``delayx()`` calls (one ``asyncio.gather``), wall time
  until the last returned; medians and best of the rounds. The process CPU time per call
  (all threads) is shown beside it.

The queue is emptied between measurements, so it does not grow.

Budgets: Redis, ``await delayx`` p50 <= ``delay`` p50 + 0.3 ms; RabbitMQ, ``await delayx``
p50 <= 2x ``delay`` p50 with confirms; both, concurrent ``delayx`` throughput >= sequential
``delay`` throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import redis
from _runtime import fmt, percentile, rotations, table, write_json  # first: it sets sys.path
from celery import Celery
from celery_asyncx import CeleryAsync
from servers import RabbitMQServer, RedisServer

BUDGET = {
    "redis_overhead_p50_seconds": 0.0003,
    "amqp_ratio_to_confirmed_delay_p50": 2.0,
    "throughput_ratio": 1.0,
}


def timed_rounds(
    rounds: int, legs: dict[str, Callable[[], Awaitable[None]]], flush: Callable[[], Any]
) -> dict[str, list[tuple[float, float]]]:
    """(wall, cpu) seconds of each leg per round, the legs' order rotated every round."""
    names = list(legs)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in names}

    async def run() -> None:
        for order in rotations(names, rounds):
            for name in order:
                flush()
                cpu, wall = time.process_time(), time.perf_counter()
                await legs[name]()
                timings[name].append((time.perf_counter() - wall, time.process_time() - cpu))

    asyncio.run(run())
    return timings


@contextlib.contextmanager
def broker(kind: str) -> Iterator[tuple[str, str | None, Callable[[], Any]]]:
    """(broker URL, result backend URL, empty the queue) of a fresh server."""
    if kind == "redis":
        with RedisServer() as server:
            client = redis.Redis.from_url(server.url())
            yield server.url(), server.url(), client.flushall
    else:
        with RabbitMQServer() as node:
            yield node.url(), None, node.empty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", choices=["redis", "amqp"], default="redis")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pool-size", type=int, help="async_dispatch_pool_size (default: 8)")
    parser.add_argument("--json", metavar="PATH", help="JSON to PATH ('-': stdout)")
    args = parser.parse_args()
    calls = args.calls

    with broker(args.broker) as (url, backend, flush):
        stock = Celery("stock", broker=url, backend=backend, set_as_current=False)
        confirmed = Celery(
            "confirmed", broker=url, backend=backend, set_as_current=False,
            broker_transport_options={"confirm_publish": True},
        )  # fmt: skip
        options = {} if args.pool_size is None else {"async_dispatch_pool_size": args.pool_size}
        ours = CeleryAsync("ours", broker=url, backend=backend, set_as_current=False, **options)
        sync_noop = stock.task(name="bench.noop", shared=False)(noop)
        confirmed_noop = confirmed.task(name="bench.noop", shared=False)(noop)
        async_noop = ours.task(name="bench.noop", shared=False)(noop)
        legs_per_call: dict[str, Callable[[], Any]] = {"delay": sync_noop.delay}
        if args.broker == "amqp":
            legs_per_call["delay (confirms)"] = confirmed_noop.delay

        async def latency() -> dict[str, list[float]]:
            samples: dict[str, list[float]] = {name: [] for name in [*legs_per_call, "delayx"]}
            for _ in range(300):  # warm-up: connections, pools, threads
                for call in legs_per_call.values():
                    call()
                await async_noop.delayx()
            flush()
            for n in range(calls):
                for name, call in legs_per_call.items():
                    start = time.perf_counter()
                    call()
                    samples[name].append(time.perf_counter() - start)
                start = time.perf_counter()
                await async_noop.delayx()
                samples["delayx"].append(time.perf_counter() - start)
                if n % 500 == 499:
                    flush()
            return samples

        samples = asyncio.run(latency())

        async def sequential() -> None:
            for _ in range(calls):
                sync_noop.delay()

        async def concurrent() -> None:
            await asyncio.gather(*(async_noop.delayx() for _ in range(calls)))

        legs = {"sequential delay": sequential, "concurrent delayx": concurrent}
        timings = timed_rounds(args.rounds, legs, flush)
        ours.close()

    p50 = {name: percentile(values, 50) for name, values in samples.items()}
    p99 = {name: percentile(values, 99) for name, values in samples.items()}
    overhead = p50["delayx"] - p50["delay"]
    rate = {name: [calls / wall for wall, _ in runs] for name, runs in timings.items()}
    cpu = {name: statistics.median(c / calls for _, c in runs) for name, runs in timings.items()}
    median_rate = {name: statistics.median(values) for name, values in rate.items()}
    throughput_ratio = median_rate["concurrent delayx"] / median_rate["sequential delay"]

    rows = [["per call", "p50", "p99"]]
    rows += [[f"{name} (stock Celery)", fmt(p50[name]), fmt(p99[name])] for name in legs_per_call]
    rows.append(["await delayx (CeleryAsync)", fmt(p50["delayx"]), fmt(p99["delayx"])])
    print(f"broker: {args.broker}")
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
    verdicts: dict[str, bool] = {}
    if args.broker == "redis":
        verdicts["latency"] = overhead <= BUDGET["redis_overhead_p50_seconds"]
        print(f"budget: delayx p50 overhead {fmt(overhead)} <= 0.3 ms: {ok(verdicts['latency'])}")
    else:
        latency_ratio = p50["delayx"] / p50["delay (confirms)"]
        verdicts["latency"] = latency_ratio <= BUDGET["amqp_ratio_to_confirmed_delay_p50"]
        print(
            f"budget: delayx p50 / delay-with-confirms p50 {latency_ratio:.2f}x <= 2: "
            f"{ok(verdicts['latency'])} (vs delay without confirms: "
            f"{p50['delayx'] / p50['delay']:.2f}x)"
        )
    verdicts["throughput"] = throughput_ratio >= BUDGET["throughput_ratio"]
    print(
        f"budget: concurrent delayx / sequential delay {throughput_ratio:.2f}x >= 1: "
        f"{ok(verdicts['throughput'])}"
    )
    write_json(
        {
            "benchmark": "dispatch",
            "broker": args.broker,
            "calls": calls,
            "rounds": args.rounds,
            "pool_size": args.pool_size,
            "latency_seconds": {"p50": p50, "p99": p99, "p50_overhead": overhead},
            "throughput_per_second": {"rounds": rate, "median": median_rate},
            "cpu_seconds_per_call": cpu,
            "throughput_ratio": throughput_ratio,
            "budget": BUDGET,
            "pass": verdicts,
        },
        args.json,
        f"dispatch-{args.broker}",
    )


def noop() -> None: ...


def ok(passed: bool) -> str:
    return "ok" if passed else "OVER"


if __name__ == "__main__":
    main()
