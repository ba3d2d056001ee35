"""The runtime end to end: real redis-server, a real Celery worker, a FastAPI app on uvicorn.

Thresholds are generous (machines are noisy); the strict budgets are checked by
``benchmarks/outage.py`` and ``benchmarks/dispatch.py``.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery import chain
from celery_asyncx import (
    AsyncTask,
    CeleryAsync,
    create_celery_app,
    run_blocking,
)
from conftest import write_runtime_project
from servers import (
    PATIENCE,
    CeleryWorker,
    FaultyServer,
    ManagedProcess,
    RabbitMQServer,
    RedisServer,
    UvicornServer,
    wait_until,
)
from storm import PROBES, StormResult, latencies, percentile, storm

POOL_SIZE = 8  # the module's default async_dispatch_pool_size
# Unrelated requests: a stalled loop or default executor makes them wait for the whole outage
# (here: never within the 15 s window), and the blocking AsyncResult.__del__ this caught cost
# 0.5 s per dropped result. Limits: these, or 3 x the same percentile under the same load with
# Redis healthy, whichever is larger (a busy 2-core CI box is slow either way).
TYPICAL, SLOW = 0.25, 0.5  # p50, p99 in seconds
FAIL_FAST = 2.0  # every failing dispatch must have answered within this (see slow_limit)
RECOVERY = 1.0  # from mending the fault to the first dispatch that succeeds again


@dataclass
class Service:
    broker: FaultyServer  # RedisServer or RabbitMQServer
    backend: RedisServer
    worker: CeleryWorker
    web: UvicornServer
    ledger: Path
    broker_url: str

    def executed(self) -> collections.Counter[str]:
        """How many times the worker ran ``record`` for each token."""
        text = self.ledger.read_text() if self.ledger.exists() else ""
        return collections.Counter(line.split("\t")[1] for line in text.splitlines())

    def request_ids(self) -> dict[str, str]:
        lines = self.ledger.read_text().splitlines()
        return {token: rid for _, token, rid in (line.split("\t") for line in lines)}


def start_service(
    spawn: Callable[[Any], Any],
    project: Path,
    *,
    shared_redis: bool = False,
    rabbitmq: RabbitMQServer | None = None,
) -> Service:
    """A worker and a web server; the broker is a new Redis or a new vhost on ``rabbitmq``."""
    backend = spawn(RedisServer())
    broker: FaultyServer
    if rabbitmq is not None:
        broker, broker_url = rabbitmq, rabbitmq.vhost(f"e2e-{project.name}")
    else:
        redis = backend if shared_redis else spawn(RedisServer())
        broker, broker_url = redis, redis.url()
    ledger = project / "ledger.tsv"
    env = {"BROKER_URL": broker_url, "BACKEND_URL": backend.url(), "LEDGER": str(ledger)}
    worker = CeleryWorker(
        "runtime_app:celery_app", queues=["celery", "other"], cwd=project, env=env
    )
    web = UvicornServer("runtime_app:api", cwd=project, env=env, ready_path="/ping")
    return Service(broker, backend, spawn(worker), spawn(web), ledger, broker_url)


@pytest.fixture(scope="module")
def service(
    spawn_module: Callable[[ManagedProcess], ManagedProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> Service:
    project = write_runtime_project(tmp_path_factory.mktemp("healthy"))
    return start_service(spawn_module, project)


@pytest.fixture
def client_app(service: Service) -> Iterator[CeleryAsync]:
    """A second, in-test client of the same broker (the worker runs ``record`` by name)."""
    app = create_celery_app(
        service.broker_url, service.backend.url(), main="client", set_as_current=False
    )
    yield app
    app.close()


# --- healthy --------------------------------------------------------------------------------


def test_dispatch_runs_in_the_worker_and_results_come_back(
    service: Service, client_app: CeleryAsync
) -> None:
    @client_app.task(name="record", shared=False)
    def record(token: str) -> None: ...  # runs in the worker, as runtime_app.record

    assert isinstance(record, AsyncTask)

    async def main() -> None:
        sent_at = time.time()
        results = [
            await record.delayx("h-delayx"),
            await record.apply_asyncx(
                ("h-options",),
                task_id="h-options",
                countdown=0.5,
                queue="other",
                priority=5,
                headers={"request_id": "from-headers"},
                expires=60,
                link=record.si("h-link"),
            ),
            await client_app.send_taskx("record", ("h-send-task",)),
            await run_blocking(chain(record.si("h-chain-1"), record.si("h-chain-2")).apply_async),
        ]
        values = await asyncio.gather(*(run_blocking(r.get, timeout=15) for r in results))
        assert [v["token"] for v in values] == ["h-delayx", "h-options", "h-send-task", "h-chain-2"]
        options = values[1]
        assert results[1].id == "h-options"
        assert options["queue"] == "other"
        assert options["request_id"] == "from-headers"
        assert options["ran_at"] - sent_at >= 0.45, "countdown kept"
        replies = await run_blocking(client_app.control.inspect(timeout=5, limit=1).ping)
        assert replies and all(reply == {"ok": "pong"} for reply in replies.values())
        [worker_conf] = (
            await run_blocking(client_app.control.inspect(timeout=5, limit=1).conf)
        ).values()
        # what the worker reports is what differs from Celery's defaults: no fail-fast keys
        assert worker_conf.get("redis_socket_timeout", 120.0) == 120.0, "stock settings"
        assert "socket_timeout" not in worker_conf.get("broker_transport_options", {})

    asyncio.run(main())
    wait_until(lambda: service.executed()["h-link"] == 1, PATIENCE, "the linked task to run")
    for token in ("h-delayx", "h-options", "h-send-task", "h-chain-1", "h-chain-2"):
        assert service.executed()[token] == 1


def test_handler_dispatch_carries_its_contextvars(service: Service) -> None:
    with httpx.Client(base_url=service.web.base_url, timeout=20) as http:
        for n in range(3):
            assert http.post(f"/dispatch/ctx-{n}").json() == {"id": f"ctx-{n}"}
        for n in range(3):
            value = http.get(f"/result/ctx-{n}").json()
            # set in the handler, read by a before_task_publish receiver in the pool thread
            assert value["request_id"] == f"req-ctx-{n}"
            assert value["published_by"].startswith("celery-async_")


# --- outages ----------------------------------------------------------------------------------


def dispatch(http: httpx.Client, token: str, sent: dict[str, int]) -> int:
    status = http.post(f"/dispatch/{token}").status_code
    sent[token] = status
    return status


@dataclass
class Baseline:
    other_threads: int  # the server's threads outside the dispatch pool
    control: StormResult  # the same load with Redis healthy


def warm_up(service: Service, http: httpx.Client, name: str, sent: dict[str, int]) -> Baseline:
    """Bring the server to a running service's state, and measure it under healthy load."""
    for n in range(3):
        assert dispatch(http, f"{name}-warm-{n}", sent) == 200

    async def fill_default_executor() -> None:  # start all of its threads, as a busy app has
        async with httpx.AsyncClient(base_url=service.web.base_url) as client:
            await asyncio.gather(*(client.get("/executor?sleep=0.05") for _ in range(20)))

    asyncio.run(fill_default_executor())
    assert http.get("/dns").status_code == 200
    control = run_storm(service, [f"{name}-healthy-{n}" for n in range(100)])
    for request in control.requests:
        assert request.status == 200, request
        sent[request.key] = 200
    ping = http.get("/ping").json()
    return Baseline(int(ping["threads"] - ping["pool_threads"]), control)


def assert_stayed_responsive(result: StormResult, baseline: Baseline) -> None:
    """Unrelated requests no slower than under the same load with Redis up (give or take what
    a busy machine adds), and no threads beyond the pool."""
    for probe in PROBES:
        seconds, usual = latencies(result.probes[probe]), latencies(baseline.control.probes[probe])
        assert len(seconds) >= 20
        for q, floor in ((50, TYPICAL), (99, SLOW)):
            measured, limit = percentile(seconds, q), max(floor, 3 * percentile(usual, q))
            assert measured < limit, f"{probe} p{q} {measured:.3f} s (limit {limit:.3f} s)"
    for probe, seconds in result.server_seconds.items():
        limit = max(SLOW, 3 * max(baseline.control.server_seconds[probe]))
        assert seconds and max(seconds) < limit, f"{probe} inside the server: {max(seconds):.3f} s"
    # one thread per pool slot at most, nothing else started (the default executor is full)
    assert result.max_threads <= baseline.other_threads + POOL_SIZE, result.max_threads
    assert all(p.body["pool_threads"] <= POOL_SIZE for p in result.probes["/ping"] if p.body)


def slow_limit(seconds: float, baseline: Baseline) -> float:
    """``seconds``, or 3 x the slowest healthy dispatch of the same storm on this machine,
    whichever is larger: a loaded machine is slow at everything, and no verdict may depend on
    its speed. A dispatch that hangs (stock Celery: 20 s, or as long as the broker is paused)
    still fails: the storm stops waiting after its 15 s window, and such a request has no
    status."""
    return max(seconds, 3 * max(request.seconds for request in baseline.control.requests))


def run_storm(service: Service, tokens: list[str], **options: Any) -> StormResult:
    """The requests at once, probes every 50 ms until 1 s after they all answered."""
    return asyncio.run(
        storm(service.web.base_url, service.web.pid, tokens, window=15, linger=1.0, **options)
    )


def recover(http: httpx.Client, name: str, sent: dict[str, int]) -> float:
    """Seconds from now until a dispatch succeeds again; then 20 more must succeed."""
    start = time.perf_counter()
    for n in range(200):
        if dispatch(http, f"{name}-recovery-{n}", sent) == 200:
            took = time.perf_counter() - start
            break
        time.sleep(0.02)
    else:
        raise AssertionError("dispatch never recovered")
    for n in range(20):
        assert dispatch(http, f"{name}-after-{n}", sent) == 200
    return took


def assert_accounted_for(service: Service, sent: dict[str, int]) -> None:
    """Every 200 ran exactly once; a 503 ran at most once; nothing else ran."""
    succeeded = {token for token, status in sent.items() if status == 200}
    service.worker.wait_ready(
        lambda: succeeded <= set(service.executed()),
        PATIENCE,
        f"the worker to run all {len(succeeded)} dispatches answered 200",
        progress=lambda: f"not run yet: {sorted(succeeded - set(service.executed()))[:10]}",
    )
    executed = service.executed()
    assert {token: executed[token] for token in succeeded} == dict.fromkeys(succeeded, 1)
    assert set(executed) <= set(sent), set(executed) - set(sent)
    assert max(executed.values()) == 1, executed.most_common(3)
    request_ids = service.request_ids()
    assert all(request_ids[token] == f"req-{token}" for token in executed)


OUTAGES = {
    # name: (shared broker/backend redis?, break it, mend it)
    "broker-refused": (False, lambda s: s.broker.kill(), lambda s: s.broker.restart()),
    "broker-paused": (False, lambda s: s.broker.pause(), lambda s: s.broker.resume()),
    "shared-redis-paused": (True, lambda s: s.broker.pause(), lambda s: s.broker.resume()),
}


@pytest.mark.parametrize("outage", OUTAGES)
def test_broker_outage(outage: str, spawn: Callable[[Any], Any], runtime_project: Path) -> None:
    shared, fault, fix = OUTAGES[outage]
    service = start_service(spawn, runtime_project, shared_redis=shared)
    sent: dict[str, int] = {}
    with httpx.Client(base_url=service.web.base_url, timeout=30) as http:
        baseline = warm_up(service, http, outage, sent)
        fault(service)
        tokens = [f"{outage}-storm-{n}" for n in range(100)]
        result = run_storm(service, tokens)
        assert_stayed_responsive(result, baseline)
        for request in result.requests:
            assert request.status == 503, (request.status, request.body)
            assert request.seconds < slow_limit(FAIL_FAST, baseline)
            assert "unavailable" in request.body["detail"]
            sent[request.key] = 503
        fix(service)
        assert isinstance(service.broker, RedisServer) and service.broker.ping()
        assert recover(http, outage, sent) < slow_limit(RECOVERY, baseline)
    assert_accounted_for(service, sent)


def test_result_backend_outage(spawn: Callable[[Any], Any], runtime_project: Path) -> None:
    service = start_service(spawn, runtime_project)
    sent: dict[str, int] = {}
    with httpx.Client(base_url=service.web.base_url, timeout=30) as http:
        baseline = warm_up(service, http, "backend", sent)
        service.backend.pause()
        tokens = [f"backend-storm-{n}" for n in range(100)]
        dispatched = run_storm(service, tokens)
        assert_stayed_responsive(dispatched, baseline)
        # Dispatch needs the backend only to subscribe for the result: it may go through.
        assert {r.status for r in dispatched.requests} <= {200, 503}
        assert max(r.seconds for r in dispatched.requests) < slow_limit(FAIL_FAST, baseline)
        sent.update({r.key: r.status or 0 for r in dispatched.requests})
        time.sleep(0.6)  # past the cooldown: every read below really tries the backend
        reads = run_storm(service, tokens, path="/result/{}?timeout=5", method="GET")
        assert_stayed_responsive(reads, baseline)
        assert all(read.status == 503 for read in reads.requests)
        # Reads already running when the backend stopped answering fail one after another:
        # Celery's Redis result consumer lets one thread read at a time, and each gives up
        # after a socket timeout plus one reconnect attempt (2 x 0.25 s). Later ones are
        # refused at once by the cooldown.
        read_seconds = [read.seconds for read in reads.requests]
        assert percentile(read_seconds, 50) < slow_limit(FAIL_FAST, baseline)
        assert max(read_seconds) < slow_limit(POOL_SIZE * 2 * 0.25 + 1.0, baseline)
        service.backend.resume()
        assert recover(http, "backend", sent) < slow_limit(RECOVERY, baseline)
        # including tasks that ran while the backend was paused: the worker retried storing
        ok = [r.key for r in dispatched.requests if r.status == 200][:5]
        for token in [*ok, "backend-warm-0"]:
            assert http.get(f"/result/{token}").json()["token"] == token
    assert_accounted_for(service, sent)


# The memory alarm and dropped packets are covered, with messages counted on the broker, in
# test_runtime_amqp.py; end to end each costs 10-20 s here (the worker reconnecting).
AMQP_OUTAGES = {"paused": (RabbitMQServer.pause, RabbitMQServer.resume)}


@pytest.mark.parametrize("outage", AMQP_OUTAGES)
def test_rabbitmq_outage(
    outage: str, spawn: Callable[[Any], Any], runtime_project: Path, rabbitmq: RabbitMQServer
) -> None:
    """RabbitMQ broker (a vhost of the session's node), Redis results: the same promises."""
    fault, fix = AMQP_OUTAGES[outage]
    service = start_service(spawn, runtime_project, rabbitmq=rabbitmq)
    sent: dict[str, int] = {}
    with httpx.Client(base_url=service.web.base_url, timeout=30) as http:
        baseline = warm_up(service, http, outage, sent)
        try:
            fault(rabbitmq)
            result = run_storm(service, [f"{outage}-storm-{n}" for n in range(100)])
        finally:
            fix(rabbitmq)
        assert_stayed_responsive(result, baseline)
        for request in result.requests:
            assert request.status == 503, (request.status, request.body)
            assert request.seconds < slow_limit(FAIL_FAST, baseline)
            sent[request.key] = 503
        assert recover(http, outage, sent) < slow_limit(RECOVERY, baseline)
    assert_accounted_for(service, sent)
