"""Result waits: threads they hold, how fast a stored result reaches its wait, and what they
do to dispatch.

    python benchmarks/results.py [--waits 10,100,1000] [--backends redis,sqlite]
                                 [--probes 1000] [--json PATH | --json -]
    python benchmarks/results.py --check    # the runtime issue's check (exit 1 if it fails)

For each backend (``redis``: redis-server as broker and result backend; ``sqlite``: the same
broker, Celery's database backend on SQLite, which is polled) and each number of waits N,
in one process:

* dispatch latency, in 5 rounds (drift hits both sides): sequential ``await t.delayx()``
  probes with no wait pending (idle); then N concurrent
  ``await run_blocking(res.get, timeout=60)`` on results not yet stored, the form the codemod
  writes, and while they are pending the same number of probes again, and the process's
  thread count (``/proc``) against the count before the first round; then the waits are
  cancelled (all but the last round's). ``--probes`` in all, per side; p50/p99 of each side;
* then another process stores the N results (its own value for each, at most one per
  millisecond, as a worker would) and notes when it stored each; store-to-return is the time
  from just before a result was stored to its wait returning (``time.monotonic`` is one
  clock for every process on Linux). Every wait must return its own value.

``--check``: 200 waits with ``timeout=8`` on Redis, a concurrent ``delayx`` p99 <= 0.1 s and
at most 24 threads added; then the 200 results stored at once, and all 200 waits return
their own value within 2 s.

Budgets: threads flat (added <= 24 whatever N); dispatch p99 during 1,000 waits <= 2x its idle
p99; store-to-return p50 <= 5 ms on Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
from _runtime import percentile, table, write_json  # first: it sets sys.path
from celery_asyncx import CeleryAsync, run_blocking
from servers import RedisServer, thread_count

BUDGET = {"threads_added": 24, "dispatch_p99_ratio": 2.0, "redis_store_to_return_p50": 0.005}
ROUNDS = 5  # idle probes, then waits started and probes while they are pending; cancelled
CHECK = {"waits": 200, "timeout": 8.0, "dispatch_p99": 0.1, "threads_added": 24, "returned": 2.0}

# The other process: stores the results it is given, notes when (one JSON line per batch).
STORER = """
import json, sys, time
from celery import Celery
backend = Celery("storer", backend=sys.argv[1]).backend
pace = float(sys.argv[2])
backend.store_result("warm-up", None, "SUCCESS")  # connected, serializers loaded
print("ready", flush=True)
for line in sys.stdin:
    ids, stored = json.loads(line), {}
    for task_id in ids:
        due = time.monotonic() + pace
        stored[task_id] = time.monotonic()
        backend.store_result(task_id, task_id, "SUCCESS")
        time.sleep(max(0.0, due - time.monotonic()))
    print(json.dumps(stored), flush=True)
"""


class Storer:
    """A process of its own that stores results with the backend (as a worker does)."""

    def __init__(self, backend_url: str, pace: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", STORER, backend_url, str(pace)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout and self.proc.stdout.readline() == "ready\n"

    async def store(self, ids: list[str]) -> dict[str, float]:
        """Store ``ids`` (each its own id as value); when each was stored."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(ids) + "\n")
        self.proc.stdin.flush()
        line = await asyncio.to_thread(self.proc.stdout.readline)
        stored: dict[str, float] = json.loads(line)
        return stored

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(30)


@contextlib.contextmanager
def backends(names: list[str]) -> Iterator[dict[str, tuple[str, str]]]:
    """name -> (broker URL, result backend URL), on a fresh redis-server."""
    with RedisServer() as server, tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "results.sqlite"
        with contextlib.closing(sqlite3.connect(database)) as connection:
            # as SQLite is run for concurrent readers and a writer: in rollback-journal mode
            # a poll waits for the worker's commit (and the commit for the poll) up to 5 s
            connection.execute("PRAGMA journal_mode=WAL")
        urls = {"redis": (server.url(0), server.url(1))}
        urls["sqlite"] = (server.url(0), f"db+sqlite:///{database}")
        yield {name: urls[name] for name in names}


async def dispatch_latency(task: Any, probes: int) -> list[float]:
    samples = []
    for _ in range(probes):
        start = time.perf_counter()
        await task.delayx()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {"p50": percentile(samples, 50), "p99": percentile(samples, 99)}


async def scenario(
    broker: str, backend: str, waits: int, probes: int, timeout: float, pace: float
) -> dict[str, Any]:
    """One measurement (see the module's docstring)."""
    app = CeleryAsync(f"bench{uuid.uuid4().hex[:6]}", broker=broker, backend=backend)
    noop = app.task(name="bench.noop", shared=False)(nothing)
    storer = Storer(backend, pace)
    queue = redis.Redis.from_url(broker)
    try:
        await dispatch_latency(noop, 100)  # warm-up: connections, pool threads
        ids = [str(uuid.uuid4()) for _ in range(waits)]
        returned: dict[str, float] = {}

        async def wait(task_id: str) -> None:
            value = await run_blocking(app.AsyncResult(task_id).get, timeout=timeout)
            returned[task_id] = time.monotonic()
            assert value == task_id, f"wait for {task_id} got {value!r}"

        idle: list[float] = []
        during: list[float] = []
        before, threads = thread_count(os.getpid()), 0
        for round_ in range(ROUNDS):  # idle and during in turn: drift hits both
            idle += await dispatch_latency(noop, probes // ROUNDS)
            pending = [asyncio.ensure_future(wait(task_id)) for task_id in ids]
            await asyncio.sleep(0.5)  # every wait subscribed, or polled once
            during += await dispatch_latency(noop, probes // ROUNDS)
            threads = max(threads, thread_count(os.getpid()) - before)
            assert not any(p.done() for p in pending), "a wait returned before its result"
            if round_ < ROUNDS - 1:  # the next round waits again, from the start
                for p in pending:
                    p.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        stored = await storer.store(ids)
        await asyncio.gather(*pending)
        threads = max(threads, thread_count(os.getpid()) - before)
        store_to_return = [returned[task_id] - stored[task_id] for task_id in ids]
        last = max(returned.values()) - min(stored.values())
    finally:
        storer.close()
        queue.flushdb()
        app.close()
    idle_s, during_s = summary(idle), summary(during)
    return {
        "waits": waits,
        "threads_added": threads,
        "store_to_return": summary(store_to_return),
        "all_returned_after_first_store": last,
        "dispatch_idle": idle_s,
        "dispatch_during_waits": during_s,
        "dispatch_ratio": {q: during_s[q] / idle_s[q] for q in ("p50", "p99")},
    }


def nothing() -> None:
    """The task the probes dispatch (no worker runs it)."""


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def check() -> None:
    """The issue's check; exit status 1 if any part fails."""
    with backends(["redis"]) as urls:
        broker, backend = urls["redis"]
        got = asyncio.run(scenario(broker, backend, CHECK["waits"], 200, CHECK["timeout"], 0.0))
    verdict = {
        "dispatch_p99": got["dispatch_during_waits"]["p99"] <= CHECK["dispatch_p99"],
        "threads_added": got["threads_added"] <= CHECK["threads_added"],
        "all_returned_own_value": got["all_returned_after_first_store"] <= CHECK["returned"],
    }
    import celery

    print(json.dumps({"celery": celery.__version__, "measured": got, "passed": verdict}, indent=2))
    sys.exit(0 if all(verdict.values()) else 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waits", default="10,100,1000")
    parser.add_argument("--backends", default="redis,sqlite")
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--check", action="store_true", help="the issue's check only")
    parser.add_argument("--json", metavar="PATH", help="JSON to PATH ('-': stdout)")
    args = parser.parse_args()
    if args.check:
        check()
    counts = [int(n) for n in args.waits.split(",")]
    rows = [["backend", "waits", "threads +", "store→return p50/p99", "dispatch idle p50/p99",
             "during waits p50/p99", "p99 ratio"]]  # fmt: skip
    results: dict[str, list[dict[str, Any]]] = {}
    with backends(args.backends.split(",")) as urls:
        for name, (broker, backend) in urls.items():
            for waits in counts:
                got = asyncio.run(scenario(broker, backend, waits, args.probes, 60.0, 0.001))
                results.setdefault(name, []).append(got)
                rows.append([
                    name, str(waits), str(got["threads_added"]),
                    " / ".join(ms(got["store_to_return"][q]) for q in ("p50", "p99")),
                    " / ".join(ms(got["dispatch_idle"][q]) for q in ("p50", "p99")),
                    " / ".join(ms(got["dispatch_during_waits"][q]) for q in ("p50", "p99")),
                    f"{got['dispatch_ratio']['p99']:.2f}",
                ])  # fmt: skip
    print(table(rows), file=sys.stderr)
    runs = [run for name_runs in results.values() for run in name_runs]
    most = {
        name: max(name_runs, key=lambda run: run["waits"]) for name, name_runs in results.items()
    }
    ratio = BUDGET["dispatch_p99_ratio"]
    verdict = {
        "threads_flat": all(run["threads_added"] <= BUDGET["threads_added"] for run in runs),
        "dispatch_p99_ratio_at_most_waits": {
            name: run["dispatch_ratio"]["p99"] <= ratio for name, run in most.items()
        },
        "redis_store_to_return_p50": all(
            run["store_to_return"]["p50"] <= BUDGET["redis_store_to_return_p50"]
            for run in results.get("redis", [])
        ),
    }
    write_json(
        {"budget": BUDGET, "results": results, "within_budget": verdict}, args.json, "results"
    )


if __name__ == "__main__":
    main()
