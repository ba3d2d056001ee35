"""Load for an outage: many concurrent dispatch requests plus open-loop probes of unrelated
endpoints, all against a running ``runtime_app`` server; used by the e2e tests and benchmarks.

Probes are fired on a fixed schedule whether or not earlier ones returned, so a stalled event
loop shows up as the latency users would see, not as a few slow samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import subprocess
import sys
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
    started: float = 0.0  # perf_counter() when sent


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
    try:
        response = await client.request(method, path)
    except (httpx.HTTPError, asyncio.CancelledError):  # no answer (in time)
        return Outcome(key, None, time.perf_counter() - start, {}, start)
    body = response.json() if response.headers.get("content-type") == "application/json" else {}
    return Outcome(key, response.status_code, time.perf_counter() - start, body, start)


def _client(base_url: str, window: float) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=httpx.Timeout(window + 5))


async def _settle(tasks: Sequence[asyncio.Task[Outcome]], deadline: float) -> list[Outcome]:
    """The tasks' outcomes; those still running at ``deadline`` are cancelled (status None)."""
    if tasks:
        await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
    for task in tasks:
        task.cancel()
    return list(await asyncio.gather(*tasks))


class Prober:
    """Sends every probe each ``interval`` s from a process of its own (this file run as a
    script), so that neither the load generator's event loop nor its GIL delays the probes:
    what they measure is the server."""

    def __init__(self, base_url: str, interval: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, base_url, repr(interval)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin, self._stdout = self.process.stdin, self.process.stdout
        ready = self._stdout.readline()  # imports done: probing starts without delay
        assert ready == "ready\n", f"the prober did not start: {ready!r}"

    def start(self, deadline: float) -> None:
        self._stdin.write(f"{deadline!r}\n")
        self._stdin.flush()

    def stop(self) -> list[Outcome]:
        out, _ = self.process.communicate("stop\n", timeout=60)
        assert self.process.returncode == 0, f"the prober exited with {self.process.returncode}"
        return [Outcome(**fields) for fields in json.loads(out)]


async def _probe(base_url: str, interval: float) -> list[Outcome]:
    """The prober's process: from the deadline on stdin until "stop" on stdin or then."""
    print("ready", flush=True)
    deadline = float(sys.stdin.readline())
    stop = threading.Event()

    def wait_for_stop() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    async with _client(base_url, deadline - time.perf_counter()) as client:
        tasks = []
        while not stop.is_set() and time.perf_counter() < deadline:
            tasks += [asyncio.ensure_future(_request(client, "GET", p, p)) for p in PROBES]
            await asyncio.sleep(interval)
        return await _settle(tasks, deadline)


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
    prober = await asyncio.to_thread(Prober, base_url, probe_interval)
    deadline = time.perf_counter() + window
    sampler = ThreadSampler(pid)
    sampler.start()
    prober.start(deadline)
    async with _client(base_url, window) as client:
        tasks = [
            asyncio.ensure_future(_request(client, method, path.format(key), key)) for key in keys
        ]
        requests = await _settle(tasks, deadline)
    await asyncio.sleep(max(0.0, min(linger, deadline - time.perf_counter())))
    probes = await asyncio.to_thread(prober.stop)

    result = StormResult(
        requests, {p: [] for p in PROBES}, {"/dns": [], "/executor": []}, 0, window
    )
    for probe in probes:
        result.probes[probe.key].append(probe)
        if probe.key in result.server_seconds and "seconds" in probe.body:
            result.server_seconds[probe.key].append(probe.body["seconds"])
    result.max_threads = sampler.stop()
    return result


if __name__ == "__main__":  # the Prober's process: storm.py BASE_URL INTERVAL
    outcomes = asyncio.run(_probe(sys.argv[1], float(sys.argv[2])))
    print(json.dumps([dataclasses.asdict(outcome) for outcome in outcomes]))
