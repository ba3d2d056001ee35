"""Load for an outage: many concurrent dispatch requests plus open-loop probes of unrelated
endpoints, all against a running ``runtime_app`` server; used by the e2e tests and benchmarks.

Probes are fired on a fixed schedule whether or not earlier ones returned, so a stalled event
loop shows up as the latency users would see, not as a few slow samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from servers import thread_count

PROBES = ("/ping", "/dns", "/executor")


@dataclass
class Outcome:
    """One request: HTTP status (None: no answer within the window) and round-trip seconds."""

    key: str
    status: int | None
    seconds: float
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class StormResult:
    requests: list[Outcome]
    probes: dict[str, list[Outcome]]
    server_seconds: dict[str, list[float]]  # what /dns and /executor measured inside the server
    max_threads: int
    window: float


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); ``inf`` stands for "never returned"."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latencies(outcomes: Iterable[Outcome]) -> list[float]:
    return [o.seconds if o.status is not None else math.inf for o in outcomes]


class ThreadSampler(threading.Thread):
    """Polls a process's thread count every few milliseconds and keeps the maximum."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.maximum = pid, interval, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            with contextlib.suppress(OSError):
                self.maximum = max(self.maximum, thread_count(self.pid))
            time.sleep(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.maximum


async def _request(client: httpx.AsyncClient, method: str, path: str, key: str) -> Outcome:
    start = time.perf_counter()
    response = await client.request(method, path)
    body = response.json() if response.headers.get("content-type") == "application/json" else {}
    return Outcome(key, response.status_code, time.perf_counter() - start, body)


async def storm(
    base_url: str,
    pid: int,
    keys: Sequence[str],
    *,
    path: str = "/dispatch/{}",
    method: str = "POST",
    window: float = 10.0,
    probe_interval: float = 0.05,
    linger: float = 0.3,
) -> StormResult:
    """Send one request per key at once, probe PROBES meanwhile (and ``linger`` s after).

    Whatever has not answered ``window`` s after the start is recorded with status None.
    """
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(window + 5)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        sampler = ThreadSampler(pid)
        sampler.start()
        start = time.perf_counter()
        pending: dict[asyncio.Task[Outcome], tuple[str, str]] = {}

        def send(kind: str, method: str, url: str, key: str) -> None:
            pending[asyncio.ensure_future(_request(client, method, url, key))] = (kind, key)

        for key in keys:
            send("request", method, path.format(key), key)
        dispatches = [task for task, (kind, _) in pending.items() if kind == "request"]
        while time.perf_counter() - start < window:
            for probe in PROBES:
                send(probe, "GET", probe, probe)
            if all(task.done() for task in dispatches):
                linger -= probe_interval
                if linger <= 0:
                    break
            await asyncio.sleep(probe_interval)
        remaining = window - (time.perf_counter() - start)
        if remaining > 0:
            await asyncio.wait(pending, timeout=remaining)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - start

    result = StormResult([], {p: [] for p in PROBES}, {"/dns": [], "/executor": []}, 0, window)
    for task, (kind, key) in pending.items():
        if task.cancelled() or task.exception() is not None:
            outcome = Outcome(key, None, elapsed)
        else:
            outcome = task.result()
        if kind == "request":
            result.requests.append(outcome)
        else:
            result.probes[kind].append(outcome)
            if kind in result.server_seconds and "seconds" in outcome.body:
                result.server_seconds[kind].append(outcome.body["seconds"])
    result.max_threads = sampler.stop()
    return result
