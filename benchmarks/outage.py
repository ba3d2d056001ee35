"""A broker fault under load: what happens to dispatches, to the rest of the service, and to
the messages, for three ways of dispatching from a FastAPI handler.

    python benchmarks/outage.py [--broker redis|amqp] [--fault FAULT] [--variants x,...]
                                [--duration 10] [--rate 20] [--burst 100] [--json PATH|-]

Faults: ``pause`` (SIGSTOP), ``kill`` (SIGKILL, restarted after ``--duration``), ``drop``
(iptables drops loopback packets to the broker's port; root), ``alarm`` (RabbitMQ memory
alarm: publishing connections are blocked), ``cold`` (paused before the app's first
dispatch), ``restart`` (restarted while the app is idle, then dispatching resumes).

Variants: (i) ``plain`` ``record.apply_async(...)`` on the event loop; (ii) ``to_thread``
``await asyncio.to_thread(record.apply_async, ...)``, the widely shared "FastAPI and Celery"
article's approach, stock Celery settings; (iii) ``x`` ``await record.apply_asyncx(...)``
with the celery_asyncx package. Default: all three for Redis paused, else (iii).

Each variant gets a fresh broker (Redis: also the result backend, as the article sets it up,
with an fsync-always append-only file so a killed Redis keeps what it acknowledged; RabbitMQ:
no result backend) and a fresh uvicorn serving tests/runtime_app.py, and no worker: messages
stay on the broker and are counted there at the end. After warm-up (except ``cold``),
``--rate`` dispatch requests per second arrive on a fixed schedule; 1 s in the fault starts,
with a burst of ``--burst`` concurrent requests; it ends ``--duration`` s later; the schedule
goes on for 3 s more. Meanwhile a process of its own probes three unrelated endpoints every
50 ms: ``/ping``, ``/dns`` (``loop.getaddrinfo``) and ``/executor`` (the default executor).
A request without an answer within ``--window`` s counts as "no answer".

Reported: dispatch latency by status (p50/p99), status counts, **lost** (answered 200 but not
on the broker), duplicates, recovery (from the fault's end to the first of an unbroken run of
200s) and the failures that kept it from starting sooner, probe latency over the run and per
phase (``before`` the fault, ``fault``, ``mending``: for kill and restart the broker booting
again, ``after``), the CPU used in each phase by the service process, the broker and the whole
machine (in cores: 1.0 is one core busy for the whole phase; ``steal``: taken by the
hypervisor), and for ``restart`` the first call's status.
Budgets for (iii): lost 0; 503 p99 <= 1 s; probes p99 <= 50 ms; recovery <= 1 s; the first
call after an idle restart answers 200.

``--no-dispatch`` is the control: the same run without a single dispatch (no warm-up
dispatch, no requests, no first call), so the service never connects to the broker; the
probes then measure what the fault itself, e.g. the broker's boot on the same cores, costs
the machine's other processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _runtime
import httpx
import redis
from _runtime import fmt, percentile, table, write_json
from servers import FaultyServer, RabbitMQServer, RedisServer, UvicornServer
from storm import PROBES, Outcome, Prober, _client, _request

VARIANTS = {
    "plain": "(i) plain .delay()",
    "to_thread": "(ii) asyncio.to_thread",
    "x": "(iii) celery_asyncx",
}
FAULTS = ("pause", "kill", "drop", "alarm", "cold", "restart")
BUDGET = {"lost": 0, "failure_p99": 1.0, "probe_p99": 0.050, "recovery": 1.0}
LEAD, TAIL = 1.0, 3.0  # seconds of load before the fault and after it


class Broker:
    """The broker under test, and how to break and mend it and count its messages."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.server: FaultyServer = (
            RedisServer(persistent=True) if kind == "redis" else RabbitMQServer()
        )

    @property
    def env(self) -> dict[str, str]:
        if isinstance(self.server, RedisServer):
            return {"BROKER_URL": self.server.url(), "BACKEND_URL": self.server.url()}
        assert isinstance(self.server, RabbitMQServer)
        return {"BROKER_URL": self.server.url(), "BACKEND_URL": "none"}

    def fault(self, fault: str) -> tuple[Callable[[], None], Callable[[], None]]:
        server = self.server
        if fault in ("pause", "cold"):
            return server.pause, server.resume
        if fault in ("kill", "restart"):
            restart = server.restart if isinstance(server, RabbitMQServer) else server.start
            return server.kill, restart
        if fault == "drop":
            return self._drop, self._undrop
        if fault == "alarm" and isinstance(server, RabbitMQServer):
            return server.alarm, server.clear_alarm
        raise SystemExit(f"--fault {fault} does not apply to {self.kind}")

    def _drop(self) -> None:
        if isinstance(self.server, RabbitMQServer):
            self.server.drop()
        else:  # the same rule, for Redis's port
            _iptables("-I", self.server.port)  # type: ignore[attr-defined]

    def _undrop(self) -> None:
        if isinstance(self.server, RabbitMQServer):
            self.server.undrop()
        else:
            _iptables("-D", self.server.port)  # type: ignore[attr-defined]

    def pids(self) -> list[int]:
        """The broker's live processes (RabbitMQ: every one whose environment names its node,
        the Erlang VM and its helpers)."""
        if isinstance(self.server, RedisServer):
            return [self.server.pid] if self.server.alive() else []
        assert isinstance(self.server, RabbitMQServer)
        marker = f"RABBITMQ_NODENAME={self.server.node}".encode()
        pids = []
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    pids.append(int(proc.name))
        return pids

    def task_ids(self) -> list[str]:
        """Ids of the messages waiting in the default queue, read off the broker."""
        if isinstance(self.server, RabbitMQServer):
            return self.server.task_ids()
        assert isinstance(self.server, RedisServer)
        client = redis.Redis.from_url(self.server.url())
        raw = client.lrange("celery", 0, -1)
        return [json.loads(m)["headers"]["id"] for m in raw]

    def mend_all(self) -> None:
        """Whatever happened, leave nothing broken: no iptables rule, not paused."""
        if isinstance(self.server, RabbitMQServer):
            self.server.undrop()
        else:
            with contextlib.suppress(subprocess.CalledProcessError):
                _iptables("-D", self.server.port)  # type: ignore[attr-defined]
        self.server.resume()


def _iptables(action: str, port: int) -> None:
    rule = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", str(port), "-j", "DROP"]
    subprocess.run(["iptables", "-w", action, *rule], check=action == "-I", capture_output=True)


@contextmanager
def service(kind: str, variant: str) -> Iterator[tuple[Broker, UvicornServer]]:
    broker = Broker(kind)
    project = _runtime.project()
    broker.server.start()
    try:
        env = {**broker.env, "DISPATCH": variant}
        with UvicornServer("runtime_app:api", cwd=project, env=env, ready_path="/ping") as web:
            yield broker, web
    finally:
        broker.mend_all()
        broker.server.discard()


def warm_up(web: UvicornServer, dispatch: bool) -> None:
    """Bring the server to a running service's state: connections open (unless ``cold``),
    the default executor's threads started, one DNS lookup done."""
    with httpx.Client(base_url=web.base_url, timeout=30) as http:
        for n in range(3 if dispatch else 0):
            response = http.post(f"/dispatch/warm-{n}")
            assert response.status_code == 200, response.text

        async def fill_default_executor() -> None:
            async with httpx.AsyncClient(base_url=web.base_url, timeout=30) as client:
                await asyncio.gather(*(client.get("/executor?sleep=0.05") for _ in range(20)))

        asyncio.run(fill_default_executor())
        assert http.get("/dns").status_code == 200


PHASES = ("before", "fault", "mending", "after")  # begin at the marks start, broken, ...
PHASE_MARKS = ("start", "broken", "mending", "mended", "end")


CPU = ("service", "broker", "machine", "steal")


def process_cpu(pid: int) -> float:
    """CPU seconds of process ``pid`` (all its threads); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_seconds(service: int, broker: Callable[[], list[int]]) -> dict[str, float]:
    """CPU seconds so far of the service process, of the broker's live processes, of the
    whole machine (busy, steal left out) and stolen from it by the hypervisor."""
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    busy = sum(cpu[:7]) - cpu[3] - cpu[4]  # user..softirq without idle, iowait
    return {
        "service": process_cpu(service),
        "broker": sum(process_cpu(pid) for pid in broker()),
        "machine": busy / tick,
        "steal": cpu[7] / tick,
    }


class Timeline:
    """The fault's schedule, kept by the main thread (it starts and stops the servers: a
    process started from a short-lived thread would be killed when that thread ends), and
    read by the load generator's thread. Each mark also samples the service's CPU."""

    def __init__(self, service_pid: int, broker_pids: Callable[[], list[int]]) -> None:
        self.start = time.perf_counter()
        self.pid, self.broker_pids = service_pid, broker_pids
        self.times: dict[str, float] = {}
        self.cpu: dict[str, dict[str, float]] = {}
        self.broken = threading.Event()  # the burst goes out
        self.mended = threading.Event()
        self.mark("start")

    def mark(self, name: str) -> None:
        self.times[name] = time.perf_counter() - self.start
        self.cpu[name] = cpu_seconds(self.pid, self.broker_pids)

    def now(self) -> float:
        return time.perf_counter() - self.start

    def run_fault(self, fault: str, break_it: Callable[[], None], mend: Callable[[], None],
                  duration: float) -> None:  # fmt: skip
        if fault != "restart":  # (restart: while idle, before any load)
            time.sleep(LEAD)
        self.mark("fault")
        break_it()
        self.mark("broken")
        self.broken.set()
        if fault != "restart":
            time.sleep(max(0.0, LEAD + duration - self.now()))
        self.mark("mending")
        mend()
        self.mark("mended")
        self.mended.set()


async def load(web: UvicornServer, fault: str, timeline: Timeline, args: Any) -> dict[str, Any]:
    """Dispatch requests on the schedule of the module docstring; their outcomes."""
    loop = asyncio.get_running_loop()
    async with _client(web.base_url, args.window) as client:
        tasks: list[asyncio.Task[Outcome]] = []

        def send(key: str) -> None:
            tasks.append(loop.create_task(_request(client, "POST", f"/dispatch/{key}", key)))

        first_call: Outcome | None = None
        if args.no_dispatch:  # the control: the schedule's time, and no dispatch
            await asyncio.to_thread(timeline.mended.wait)
            await asyncio.sleep(TAIL)
            return {"outcomes": [], "first_call": None}
        if fault == "restart":  # idle through the restart, then the first call
            await asyncio.to_thread(timeline.mended.wait)
            first_call = await _request(client, "POST", "/dispatch/first-call", "first-call")
        burst_sent, n, began = False, 0, time.perf_counter()
        while (
            not timeline.mended.is_set()
            or timeline.now() < timeline.times.get("mended", 0.0) + TAIL
        ):
            if timeline.broken.is_set() and not burst_sent and fault != "restart":
                burst_sent = True
                for b in range(args.burst):
                    send(f"burst-{b}")
            send(f"steady-{n}")
            n += 1
            await asyncio.sleep(max(0.0, began + n / args.rate - time.perf_counter()))
        _, pending = await asyncio.wait(tasks, timeout=args.window)
        for task in pending:
            task.cancel()  # _request answers "no answer" (status None)
        outcomes = list(await asyncio.gather(*tasks))
    for outcome in outcomes:
        outcome.started -= timeline.start
    return {"outcomes": outcomes, "first_call": first_call}


def stats(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"samples": 0}
    return {
        "p50": percentile(seconds, 50),
        "p99": percentile(seconds, 99),
        "max": max(seconds),
        "samples": len(seconds),
    }


def run_variant(kind: str, fault: str, variant: str, args: argparse.Namespace) -> dict[str, Any]:
    with service(kind, variant) as (broker, web):
        break_it, mend_it = broker.fault(fault)
        warm_up(web, dispatch=fault != "cold" and not args.no_dispatch)
        prober = Prober(web.base_url, 0.05)
        prober.start(time.perf_counter() + 600)
        timeline, result = Timeline(web.pid, broker.pids), {}
        loader = threading.Thread(
            target=lambda: result.update(asyncio.run(load(web, fault, timeline, args)))
        )
        loader.start()
        try:
            timeline.run_fault(fault, break_it, mend_it, args.duration)
        finally:
            timeline.mended.set()
            loader.join()
            timeline.mark("end")
            probes = prober.stop()
        on_broker = broker.task_ids()
    outcomes: list[Outcome] = result["outcomes"]
    times = timeline.times
    statuses: dict[str, int] = {}
    for o in outcomes:
        key = str(o.status) if o.status is not None else "no answer"
        statuses[key] = statuses.get(key, 0) + 1
    accepted = {o.key for o in outcomes if o.status == 200}
    if result["first_call"] is not None and result["first_call"].status == 200:
        accepted.add("first-call")
    counted = set(on_broker)
    mended = times.get("mended", 0.0)
    later = sorted((o for o in outcomes if o.started >= mended), key=lambda o: o.started)
    recovery = None
    for n, o in enumerate(later):
        if all(x.status == 200 for x in later[n:]):
            recovery = max(0.0, o.started + o.seconds - mended)
            break
    during = probes  # from the end of the warm-up to the end of the run
    summary: dict[str, Any] = {
        "statuses": statuses,
        "ok_seconds": stats([o.seconds for o in outcomes if o.status == 200]),
        "failed_seconds": stats([o.seconds for o in outcomes if o.status not in (200, None)]),
        "no_answer": statuses.get("no answer", 0),
        "accepted": len(accepted),
        "on_broker": len(on_broker),
        "lost": len(accepted - counted),
        "lost_examples": sorted(accepted - counted)[:5],
        "duplicates": len(on_broker) - len(counted),
        "recovery_seconds": recovery,
        "failed_after_mended": [  # what kept recovery from starting earlier
            {"at": o.started - mended, "seconds": o.seconds, "status": o.status, "body": o.body}
            for o in later
            if o.status != 200
        ][-10:],
        "fault_times": times,
        "probes": {
            probe: stats([p.seconds for p in during if p.key == probe and p.status is not None])
            | {"not_answered": sum(1 for p in during if p.key == probe and p.status is None)}
            for probe in PROBES
        },
        "phases": phases(timeline, probes),
    }
    if result["first_call"] is not None:
        first = result["first_call"]
        summary["first_call"] = {"status": first.status, "seconds": first.seconds}
    return summary


def phases(timeline: Timeline, probes: list[Outcome]) -> dict[str, Any]:
    """Per phase: its seconds, every probe's latency (all three endpoints together), and the
    CPU the service process and the whole machine used, as a share of one core. Phases
    under 0.1 s are left out."""
    result: dict[str, Any] = {}
    marks = [m for m in PHASE_MARKS if m in timeline.times]
    for phase, (begin, end) in zip(PHASES, itertools.pairwise(marks), strict=False):
        t0, t1 = timeline.times[begin], timeline.times[end]
        seconds = t1 - t0
        if seconds < 0.1:  # restart: no time before the fault, nor in it
            continue
        inside = [
            p.seconds for p in probes
            if p.status is not None and t0 <= p.started - timeline.start < t1
        ]  # fmt: skip
        used = {k: timeline.cpu[end][k] - timeline.cpu[begin][k] for k in CPU}
        result[phase] = {
            "seconds": seconds,
            "probes": stats(inside),
            # a killed broker's processes take their CPU time with them: unknown then
            "cpu_cores": {k: v / seconds if v >= 0 else None for k, v in used.items()},
        }
    return result


def verdict(summary: dict[str, Any]) -> dict[str, bool]:
    failed = summary["failed_seconds"]
    checks = {
        "lost": summary["lost"] <= BUDGET["lost"] and summary["no_answer"] == 0,
        "failure_p99": failed["samples"] == 0 or failed["p99"] <= BUDGET["failure_p99"],
        "probes_p99": all(
            p.get("p99", math.inf) <= BUDGET["probe_p99"] and p["not_answered"] == 0
            for p in summary["probes"].values()
        ),
        "recovery": summary["recovery_seconds"] is not None
        and summary["recovery_seconds"] <= BUDGET["recovery"],
    }
    if "first_call" in summary:
        checks["first_call"] = summary["first_call"]["status"] == 200
    if not summary["statuses"]:  # the control (--no-dispatch): only the probes apply
        checks = {"probes_p99": checks["probes_p99"]}
    return checks


def report(results: dict[str, dict[str, Any]], window: float) -> str:
    def cell(s: dict[str, Any]) -> str:
        return f"{fmt(s['p50'], window)} / {fmt(s['p99'], window)}" if s["samples"] else "-"

    rows = [["p50 / p99", *(VARIANTS[v] for v in results)]]
    rows.append(["dispatch answered 200", *(cell(s["ok_seconds"]) for s in results.values())])
    rows.append(["dispatch failed", *(cell(s["failed_seconds"]) for s in results.values())])
    rows.append(["statuses", *(str(s["statuses"]) for s in results.values())])
    rows.append(["lost (200, not on broker)", *(str(s["lost"]) for s in results.values())])
    rows.append(["recovery", *(fmt(s["recovery_seconds"], window) for s in results.values())])
    for probe in PROBES:
        rows.append([probe, *(cell(s["probes"][probe]) for s in results.values())])
    if any("first_call" in s for s in results.values()):
        rows.append(
            [
                "first call after restart",
                *(str(s["first_call"]["status"]) for s in results.values()),
            ]
        )
    lines = [table(rows), ""]
    rows = [["phase: probes p50 / p99; CPU in cores", *(VARIANTS[v] for v in results)]]
    for phase in PHASES:
        cells = []
        for s in results.values():
            if phase not in s["phases"]:
                cells.append("-")
                continue
            p, cores = s["phases"][phase], s["phases"][phase]["cpu_cores"]
            parts = ", ".join(
                f"{k} {'?' if cores[k] is None else format(cores[k], '.2f')}" for k in CPU
            )
            cells.append(f"{cell(p['probes'])}; {parts} ({p['seconds']:.1f} s)")
        rows.append([phase, *cells])
    lines.append(table(rows))
    if "x" in results:
        checks = verdict(results["x"])
        lines.append("")
        lines += [f"budget {name}: {'ok' if good else 'OVER'}" for name, good in checks.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", choices=["redis", "amqp"], default="redis")
    parser.add_argument("--fault", choices=FAULTS, default="pause")
    parser.add_argument("--variants", help="plain,to_thread,x (default: see above)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of fault (10)")
    parser.add_argument("--rate", type=float, default=20.0, help="dispatches per second (20)")
    parser.add_argument("--burst", type=int, default=100, help="concurrent at the fault (100)")
    parser.add_argument("--window", type=float, default=20.0, help="seconds to wait (20)")
    parser.add_argument(
        "--no-dispatch", action="store_true", help="the control: probes only, see above"
    )
    parser.add_argument("--json", metavar="PATH", help="JSON to PATH ('-': stdout)")
    args = parser.parse_args()
    default = "plain,to_thread,x" if (args.broker, args.fault) == ("redis", "pause") else "x"
    variants = (args.variants or default).split(",")

    results: dict[str, dict[str, Any]] = {}
    for variant in variants:
        began = time.perf_counter()
        print(f"{args.broker} {args.fault}: {VARIANTS[variant]} ...", file=sys.stderr, flush=True)
        results[variant] = run_variant(args.broker, args.fault, variant, args)
        print(f"  done in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    output = report(results, args.window)
    print(output, file=sys.stderr if args.json == "-" else sys.stdout)
    write_json(
        {
            "benchmark": "outage",
            "broker": args.broker,
            "fault": args.fault,
            "settings": {
                k: getattr(args, k) for k in ("duration", "rate", "burst", "window", "no_dispatch")
            },
            "variants": {v: VARIANTS[v] for v in variants},
            "results": results,
            "pass": verdict(results["x"]) if "x" in results else None,
            "budget": BUDGET,
        },
        args.json,
        f"outage-{args.broker}-{args.fault}{'-control' if args.no_dispatch else ''}",
    )


if __name__ == "__main__":
    main()
