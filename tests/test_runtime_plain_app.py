"""Fail-fast for every app: ``run_blocking`` on a plain ``celery.Celery`` app (built in an
``@lru_cache`` factory, as a new user would, with a Redis result backend) uses the runtime's
own bounded connections, producers and result backends, exactly as on ``CeleryAsync``.

Stock Celery 5.7 on the same app: 19 s to fail with Redis refusing, no answer after 30 s with
it paused (measured before this was built). Expected here: 0.25-0.5 s (T = 0.25 s); the bound
asserted is several times that, for a busy machine. Synchronous callers keep stock Celery.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import pickle
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis
from celery import Celery, chain, group
from celery_asyncx import BrokerUnavailable, read_result, run_blocking
from celery_asyncx.routing import pool_of
from kombu.pools import ProducerPool
from servers import RabbitMQServer, RedisServer, free_port, wait_until

FAIL_FAST = 2.0  # seconds; expected 0.25-0.5


def plain_app(broker: str, backend: str | None) -> tuple[Celery, Any]:
    """A stock Celery app from a cached factory, and its task ``t``. No cooldown: every call
    below must meet the fault itself, not the runtime's memory of the one before."""

    @functools.lru_cache
    def get_app() -> Celery:
        app = Celery("plain", broker=broker, backend=backend, set_as_current=False)
        app.conf.async_dispatch_cooldown = 0
        return app

    app = get_app()

    @app.task(name="plain.t", shared=False)
    def t(x: int = 0) -> int:
        return x

    return app, t


def calls(app: Celery, t: Any, results: bool) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Every kind of blocking call, awaited the way the codemod writes it."""
    kinds: dict[str, Callable[[], Awaitable[Any]]] = {
        "delay": lambda: run_blocking(t.delay, 1),
        "apply_async": lambda: run_blocking(t.apply_async, (1,), countdown=5),
        "send_task": lambda: run_blocking(app.send_task, "plain.t", (1,)),
        "chain": lambda: run_blocking(chain(t.s(1), t.s()).apply_async),
        "group": lambda: run_blocking(group(t.s(1), t.s(2))),
        "revoke": lambda: run_blocking(app.control.revoke, "some-id"),
        "ping": lambda: run_blocking(app.control.ping, timeout=0.5),
    }
    if results:
        kinds["get"] = lambda: run_blocking(app.AsyncResult("r1").get, timeout=5)
        kinds["task result get"] = lambda: run_blocking(t.AsyncResult("r2").get, timeout=5)
        kinds["state"] = lambda: read_result(app.AsyncResult("r3"), "state")
        kinds["getattr state"] = lambda: run_blocking(getattr, app.AsyncResult("r4"), "state")
    return kinds


def assert_all_fail_fast(kinds: dict[str, Callable[[], Awaitable[Any]]]) -> None:
    async def main() -> dict[str, tuple[float, BaseException | None]]:
        seen = {}
        for kind, call in kinds.items():
            start = time.perf_counter()
            try:
                await asyncio.wait_for(call(), 30)
                error = None
            except Exception as exc:  # compared below
                error = exc
            seen[kind] = (time.perf_counter() - start, error)
        return seen

    seen = asyncio.run(main())
    wrong = {k: repr(e) for k, (_, e) in seen.items() if not isinstance(e, BrokerUnavailable)}
    assert not wrong, wrong
    slow = {k: round(s, 2) for k, (s, _) in seen.items() if s >= FAIL_FAST}
    assert not slow, slow


@contextlib.contextmanager
def dropping(port: int) -> Iterator[None]:
    """Every packet to ``port`` on loopback dropped (iptables; root)."""
    if os.geteuid() != 0:
        pytest.fail("dropping packets with iptables needs root")
    rule = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", str(port), "-j", "DROP"]
    subprocess.run(["iptables", "-w", "-I", *rule], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["iptables", "-w", "-D", *rule], check=True, capture_output=True)


# --- Redis: broker and result backend -------------------------------------------------------


MATRIX = pytest.mark.celery_matrix  # noxfile.py runs these on every Celery line we claim


@pytest.mark.parametrize(
    "fault",
    [pytest.param("refused", marks=MATRIX), pytest.param("paused", marks=MATRIX), "dropped"],
)
def test_every_blocking_call_on_a_plain_app_fails_fast_on_redis(
    redis_server: RedisServer, fault: str
) -> None:
    app, t = plain_app(redis_server.url(), redis_server.url())
    kinds = calls(app, t, results=True)

    async def warm() -> None:  # connections open, as in a running service
        await run_blocking(t.delay, 0)
        await run_blocking(app.AsyncResult("r0").get, timeout=0.1, propagate=False)

    with contextlib.suppress(Exception):
        asyncio.run(warm())
    if fault == "refused":
        redis_server.kill()
        assert_all_fail_fast(kinds)
    elif fault == "paused":
        redis_server.pause()
        try:
            wait_until(lambda: not redis_server.ping(), 10, "the paused server to stop answering")
            assert_all_fail_fast(kinds)
        finally:
            redis_server.resume()
    else:
        with dropping(redis_server.port):
            assert_all_fail_fast(kinds)


def test_sync_callers_of_a_routed_app_keep_stock_celery(redis_server: RedisServer) -> None:
    """After ``run_blocking`` routed the app, its own thread (a sync view, beat, a worker)
    still gets Celery's backend and producer pool with their stock settings; the app still
    pickles as a plain Celery app."""
    app, t = plain_app(redis_server.url(), redis_server.url())

    async def pooled() -> dict[str, Any]:
        await run_blocking(t.delay, 1)
        return await pool_of(app).run(handles, app)  # the pool run_blocking(t.delay) used

    inside = asyncio.run(pooled())
    outside = handles(app)
    assert inside["socket_timeout"] == 0.25 and not inside["stock pool"]
    assert outside["socket_timeout"] == app.conf.redis_socket_timeout == 120
    assert outside["stock pool"]
    sent = t.delay(2)  # stock, on this thread
    queued = redis.Redis.from_url(redis_server.url()).lrange("celery", 0, -1)
    assert sent.id in [json.loads(m)["headers"]["id"] for m in queued]
    assert type(pickle.loads(pickle.dumps(app))) is Celery
    assert type(app).__name__ == "Celery" and isinstance(app, Celery)


def handles(app: Celery) -> dict[str, Any]:
    return {
        "socket_timeout": app.backend.connparams.get("socket_timeout"),
        "stock pool": isinstance(app.amqp.producer_pool, ProducerPool),
    }


# --- RabbitMQ: broker, no result backend (Celery 5 has no amqp:// one) --------------------


@pytest.mark.parametrize("fault", ["refused", "paused", "dropped"])
def test_every_blocking_call_on_a_plain_app_fails_fast_on_rabbitmq(
    rabbitmq: RabbitMQServer, fault: str
) -> None:
    url = f"amqp://guest:guest@127.0.0.1:{free_port()}//" if fault == "refused" else rabbitmq.url()
    app, t = plain_app(url, None)
    kinds = calls(app, t, results=False)
    if fault != "refused":
        asyncio.run(run_blocking(t.delay, 0))  # connections open, as in a running service
    try:
        if fault == "paused":
            rabbitmq.pause()
            wait_until(lambda: not rabbitmq.answers(0.2), 10, "the paused node to stop answering")
            assert_all_fail_fast(kinds)
        elif fault == "dropped":
            rabbitmq.drop()
            assert_all_fail_fast(kinds)
        else:
            assert_all_fail_fast(kinds)
    finally:
        rabbitmq.healthy()


def test_a_plain_app_on_rabbitmq_publishes_confirmed_messages(rabbitmq: RabbitMQServer) -> None:
    app, t = plain_app(rabbitmq.url(), None)

    async def main() -> list[str]:
        sent = [await run_blocking(t.delay, n) for n in range(3)]
        sent.append(await run_blocking(app.send_task, "plain.t", (9,)))
        return [r.id for r in sent]

    ids = asyncio.run(main())
    assert rabbitmq.task_ids() == ids
