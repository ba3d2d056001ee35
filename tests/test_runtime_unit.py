"""The runtime (the installed ``celery_asyncx``) in-process, against a real redis-server.

No worker here (see test_runtime_e2e.py): what is checked is what the client does — the
settings, the pool, the cap, the cooldown, the exception, and the bytes it puts in Redis.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import datetime as dt
import gc
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import celery
import pytest
import redis
from celery import shared_task, signals
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import AsyncResult
from celery_asyncx import (
    AsyncTask,
    BrokerUnavailable,
    CeleryAsync,
    create_celery_app,
    read_result,
    run_blocking,
)
from celery_asyncx.blocking import app_of
from celery_asyncx.dispatcher import THREAD_NAME_PREFIX
from celery_asyncx.results import LoopSafeResult
from celery_asyncx.routing import pool_of
from kombu.exceptions import EncodeError, OperationalError
from servers import PATIENCE, RedisServer, wait_until


def pool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME_PREFIX)]


@contextlib.contextmanager
def connected(signal: Any, handler: Callable[..., None]) -> Iterator[None]:
    """``handler`` on a Celery signal for the block's duration."""
    signal.connect(handler, weak=False)
    try:
        yield
    finally:
        signal.disconnect(handler)


@pytest.fixture
def make_app() -> Iterator[Callable[..., CeleryAsync]]:
    """CeleryAsync apps that are not made current and are closed after the test."""
    apps: list[CeleryAsync] = []

    def make(broker: str = "redis://127.0.0.1:1/0", **kwargs: Any) -> CeleryAsync:
        kwargs.setdefault("set_as_current", False)
        app = CeleryAsync("unit", broker=broker, backend=kwargs.pop("backend", broker), **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


class Probe:
    """Something with an ``app``, like AsyncResult or Inspect, whose methods block."""

    def __init__(self, app: celery.Celery) -> None:
        self.app = app
        self.release = threading.Event()
        self.calls = 0
        self.error: BaseException | None = None

    def block(self) -> str:
        self.calls += 1
        assert self.release.wait(10)
        return threading.current_thread().name

    def fail(self) -> None:
        self.calls += 1
        assert self.error is not None
        raise self.error


# --- app, task classes and settings -------------------------------------------------------


def test_create_celery_app_matches_the_article_usage() -> None:
    app = create_celery_app("redis://127.0.0.1:1/0", set_as_current=False)
    assert isinstance(app, CeleryAsync)
    assert app.main == "tasks"
    assert app.conf.broker_url == app.conf.result_backend == "redis://127.0.0.1:1/0"

    @app.task(name="app.tasks.requests_post", shared=False)
    def my_task(*args: Any, **kwargs: Any) -> None: ...

    assert isinstance(my_task, AsyncTask)
    other = create_celery_app("redis://b/0", "redis://r/1", main="proj", set_as_current=False)
    assert (other.main, other.conf.result_backend) == ("proj", "redis://r/1")


def test_create_celery_app_picks_a_result_backend_celery_accepts() -> None:
    """Redis brokers are their own result backend; others get none (no amqp:// backend)."""
    from celery.backends.base import DisabledBackend
    from celery.backends.redis import RedisBackend, SentinelBackend

    cases: list[tuple[str, dict[str, Any], type]] = [
        ("redis://127.0.0.1:1/0", {}, RedisBackend),
        ("rediss://127.0.0.1:1/0?ssl_cert_reqs=required", {}, RedisBackend),
        (
            "sentinel://127.0.0.1:1;sentinel://127.0.0.1:2",
            {"broker_transport_options": {"master_name": "mymaster"}},
            SentinelBackend,
        ),
        ("amqp://guest:guest@127.0.0.1:1//", {}, DisabledBackend),
        ("pyamqp://127.0.0.1:1//", {}, DisabledBackend),
    ]
    for url, options, backend_class in cases:
        app = create_celery_app(url, set_as_current=False, **options)
        backend = app.backend  # built here: raises if Celery rejects the URL
        assert type(backend) is backend_class, url
        if backend_class is SentinelBackend:
            assert app.conf.result_backend_transport_options == {"master_name": "mymaster"}
        app.close()


def test_task_bases(make_app: Callable[..., CeleryAsync]) -> None:
    app = make_app()

    class Rebased(AsyncTask):  # what the codemod turns `class X(celery.Task)` into
        def extra(self) -> str:
            return "extra"

    @app.task(base=Rebased, shared=False)
    def rebased() -> None: ...

    @app.task(base=celery.Task, shared=False)  # why the codemod must rebase custom bases
    def stock() -> None: ...

    assert isinstance(rebased, AsyncTask)
    assert rebased.extra() == "extra"
    assert not hasattr(stock, "delayx")


def test_explicit_task_cls_is_respected(make_app: Callable[..., CeleryAsync]) -> None:
    class Custom(celery.Task):  # type: ignore[misc]
        pass

    for n, task_cls in enumerate([Custom, "celery.app.task:Task"]):
        app = make_app(task_cls=task_cls)

        @app.task(name=f"unit.job{n}", shared=False)
        def job() -> None: ...

        assert not isinstance(job, AsyncTask)


def test_shared_task_gets_delayx_from_the_current_app() -> None:
    previous = celery.current_app._get_current_object()

    @shared_task(name="unit.shared")
    def shared() -> None: ...

    app = CeleryAsync("unit", broker="redis://127.0.0.1:1/0")  # becomes the current app
    try:
        assert isinstance(app.tasks["unit.shared"], AsyncTask)
        assert callable(shared.delayx)
    finally:
        previous.set_current()
        app.close()


STOCK_KEYS = (
    "broker_transport_options",
    "broker_connection_timeout",
    "task_publish_retry_policy",
    "redis_socket_timeout",
    "result_backend_transport_options",
)


def settings(app: celery.Celery) -> dict[str, Any]:
    return {key: app.conf[key] for key in STOCK_KEYS}


def test_app_configuration_stays_stock(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    """What sync code, beat and workers read is Celery's, even after the pool connected."""
    mine = {"broker_transport_options": {"visibility_timeout": 60}}
    app = make_app(redis_server.url(), **mine)

    @app.task(name="unit.conf", shared=False)
    def conf_task() -> None: ...

    asyncio.run(conf_task.delayx())
    assert settings(app) == settings(celery.Celery(set_as_current=False, **mine))


def handles(app: celery.Celery) -> dict[str, Any]:
    """The producer and result backend a Celery call made in this thread would use."""
    with app.producer_or_acquire() as producer:
        connection = producer.connection
        options, connect_timeout = dict(connection.transport_options), connection.connect_timeout
    backend = app.backend
    return {
        "transport_options": options,
        "connect_timeout": connect_timeout,
        "backend_socket_timeout": backend.connparams["socket_timeout"],
        "backend_retries": backend.retry_policy["max_retries"],
        "backend": backend,
    }


def test_the_pool_has_fail_fast_handles_of_its_own(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    app = make_app(
        redis_server.url(),
        broker_transport_options={"visibility_timeout": 60},
        async_dispatch_socket_timeout=0.4,
    )

    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        pool = pool_of(app)  # run_blocking(f) would pick f.__self__.app
        return await pool.run(handles, app), handles(app)

    inside, outside = asyncio.run(main())
    assert inside["transport_options"] == {
        "visibility_timeout": 60,  # the app's own options are kept
        "socket_timeout": 0.4,
        "socket_connect_timeout": 0.4,
        "max_retries": 0,
    }
    assert (inside["connect_timeout"], inside["backend_socket_timeout"]) == (0.4, 0.4)
    assert inside["backend_retries"] == 0
    stock = celery.Celery(set_as_current=False, backend=redis_server.url()).backend
    assert outside["transport_options"] == {"visibility_timeout": 60}
    assert outside["connect_timeout"] == app.conf.broker_connection_timeout == 4
    assert outside["backend_socket_timeout"] == stock.connparams["socket_timeout"] == 120
    assert outside["backend_retries"] == stock.retry_policy["max_retries"] == 20
    assert inside["backend"] is not outside["backend"]


def test_sync_calls_ride_out_a_short_pause_while_delayx_fails_fast(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    """Stock Celery blocks until Redis answers again; only the async path fails fast."""
    app = make_app(redis_server.url())
    client = redis.Redis.from_url(redis_server.url())

    @app.task(name="unit.sync", shared=False)
    def sync_task() -> None: ...

    async def main() -> tuple[float, float]:
        await sync_task.delayx()  # both paths connected, as in a running service
        sync_task.delay()
        client.delete(app.conf.task_default_queue)
        redis_server.pause()
        resume = threading.Timer(1.5, redis_server.resume)
        resume.start()
        try:
            start = time.perf_counter()
            with pytest.raises(BrokerUnavailable):
                await sync_task.delayx()
            failed_after = time.perf_counter() - start
            start = time.perf_counter()
            sent = sync_task.delay()  # blocks the loop, as it would in a sync view
            took = time.perf_counter() - start
            queued = [m["headers"]["id"] for m in drain(client, app.conf.task_default_queue)]
            # (the failed delayx may be there too: Redis ran the command it had received)
            assert sent.id in queued, "and its message got there"
            return failed_after, took
        finally:
            resume.join()

    failed_after, sync_took = asyncio.run(main())
    # Expected about 0.25-0.5 s (T = 0.25 s); the margin is for a busy 2-core machine. It
    # must come well before the pause ends at 1.5 s to mean anything.
    assert failed_after < 1.2
    assert sync_took > 1.5 - failed_after - 0.3, "the sync call waited for Redis"


# --- the pool, the cap, the cooldown --------------------------------------------------------


def test_calls_run_on_the_apps_own_bounded_pool(make_app: Callable[..., CeleryAsync]) -> None:
    app = make_app(async_dispatch_pool_size=3)
    probe = Probe(app)

    async def main() -> list[str]:
        calls = [asyncio.ensure_future(run_blocking(probe.block)) for _ in range(20)]
        await asyncio.sleep(0.2)
        running = probe.calls
        probe.release.set()
        names = await asyncio.gather(*calls)
        assert running == 3, "exactly pool_size calls run at once, the rest queue"
        return names

    names = asyncio.run(main())
    assert {name.rsplit("_", 1)[0] for name in names} == {THREAD_NAME_PREFIX}
    assert len(set(names)) == 3
    assert not [t for t in threading.enumerate() if t.name.startswith("asyncio_")]


def test_cap_rejects_at_once_and_frees_slots(make_app: Callable[..., CeleryAsync]) -> None:
    app = make_app(async_dispatch_pool_size=2, async_dispatch_max_in_flight=3)
    probe = Probe(app)

    async def main() -> None:
        held = [asyncio.ensure_future(run_blocking(probe.block)) for _ in range(3)]
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        with pytest.raises(BrokerUnavailable, match="capacity exhausted"):
            await run_blocking(probe.block)
        assert time.perf_counter() - start < 0.05
        held[2].cancel()  # still queued: cancelling frees its slot without running it
        await asyncio.sleep(0.05)
        held.append(asyncio.ensure_future(run_blocking(probe.block)))
        await asyncio.sleep(0.05)
        probe.release.set()
        results = await asyncio.gather(*held, return_exceptions=True)
        assert isinstance(results[2], asyncio.CancelledError)
        assert probe.calls == 3
        await asyncio.gather(*(run_blocking(probe.block) for _ in range(3)))  # all slots back

    asyncio.run(main())


TRANSLATED: list[BaseException] = [
    OperationalError("Error 111 connecting"),
    redis.exceptions.ConnectionError("refused"),
    redis.exceptions.TimeoutError("Timeout reading from socket"),
    ConnectionRefusedError(111, "refused"),
]
UNTOUCHED: list[BaseException] = [
    RuntimeError("unrelated"),
    ValueError("bad argument"),
    TypeError("add() takes 2 positional arguments"),
    CeleryTimeoutError("The operation timed out."),
    TimeoutError("a bare socket timeout is not a broker outage"),
]


def backend_gave_up() -> RuntimeError:
    """What the Redis result backend raises when it cannot reconnect."""
    try:
        try:
            raise redis.exceptions.ConnectionError("Error 111 connecting")
        except redis.exceptions.ConnectionError as exc:
            raise RuntimeError("Retry limit exceeded while trying to reconnect") from exc
    except RuntimeError as exc:
        return exc


@pytest.mark.parametrize("error", [*TRANSLATED, backend_gave_up()], ids=repr)
def test_unavailable_errors_become_broker_unavailable(
    make_app: Callable[..., CeleryAsync], error: BaseException
) -> None:
    probe = Probe(make_app(async_dispatch_cooldown=0))
    probe.error = error
    with pytest.raises(BrokerUnavailable) as caught:
        asyncio.run(run_blocking(probe.fail))
    assert caught.value.__cause__ is error
    assert isinstance(caught.value, OperationalError)  # old `except OperationalError` still works


@pytest.mark.parametrize("error", UNTOUCHED, ids=repr)
def test_other_errors_pass_through(
    make_app: Callable[..., CeleryAsync], error: BaseException
) -> None:
    probe = Probe(make_app())
    probe.error = error
    with pytest.raises(type(error)) as caught:
        asyncio.run(run_blocking(probe.fail))
    assert caught.value is error
    probe.error = ValueError("the next call is not refused")
    with pytest.raises(ValueError):
        asyncio.run(run_blocking(probe.fail))


def test_cooldown_fails_fast_then_probes_again(make_app: Callable[..., CeleryAsync]) -> None:
    probe = Probe(make_app(async_dispatch_cooldown=0.3))
    probe.error = OperationalError("Timeout reading from socket")

    async def main() -> None:
        with pytest.raises(BrokerUnavailable):
            await run_blocking(probe.fail)
        start = time.perf_counter()
        with pytest.raises(BrokerUnavailable, match=r"not retried for 0\.3 s") as caught:
            await run_blocking(probe.fail)
        assert time.perf_counter() - start < 0.05
        assert caught.value.__cause__ is probe.error
        assert probe.calls == 1, "refused without touching the broker"
        await asyncio.sleep(0.35)
        with pytest.raises(BrokerUnavailable):
            await run_blocking(probe.fail)
        assert probe.calls == 2

    asyncio.run(main())


def test_contextvars_reach_the_dispatching_thread(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
    app = make_app(redis_server.url())
    seen: list[tuple[str, str]] = []

    @app.task(name="unit.ctx", shared=False)
    def ctx() -> None: ...

    def on_publish(**_: Any) -> None:
        seen.append((request_id.get(), threading.current_thread().name))

    async def handler(n: int) -> None:
        request_id.set(f"req-{n}")
        await ctx.delayx()
        assert await run_blocking(request_id.get) == f"req-{n}"

    with connected(signals.before_task_publish, on_publish):

        async def main() -> None:
            await asyncio.gather(*(handler(n) for n in range(10)))

        asyncio.run(main())
    assert sorted(rid for rid, _ in seen) == sorted(f"req-{n}" for n in range(10))
    assert all(name.startswith(THREAD_NAME_PREFIX) for _, name in seen)
    assert request_id.get() == "-"


# --- threads: no leak across apps, clean exit ---------------------------------------------


def test_no_threads_leak_across_app_instances(redis_server: RedisServer) -> None:
    def new_pool_threads() -> set[threading.Thread]:
        return set(pool_threads()) - before

    before = set(pool_threads())
    for _ in range(5):
        app = CeleryAsync("unit", broker=redis_server.url(), set_as_current=False)

        @app.task(name="unit.t", shared=False)
        def t() -> None: ...

        asyncio.run(t.delayx())
        assert new_pool_threads()
        app.close()
        assert not new_pool_threads()

    # never closed: the threads go with the app
    app = CeleryAsync("unit", broker=redis_server.url(), set_as_current=False)

    @app.task(name="unit.t", shared=False)
    def t2() -> None: ...

    asyncio.run(t2.delayx())
    assert new_pool_threads()
    del app, t2, t

    def collected() -> bool:
        gc.collect()  # again and again: a pool thread may still hold the app a moment
        return not new_pool_threads()

    wait_until(collected, PATIENCE, "pool threads to stop")


QUIET_EXIT = """
import asyncio, gc, os, signal, sys
from celery import Celery
from celery.exceptions import TimeoutError
from celery_asyncx import create_celery_app, run_blocking

url, kind, when = sys.argv[1:4]
app = create_celery_app(url) if kind == "CeleryAsync" else Celery("plain", broker=url, backend=url)

@app.task(name="quiet.t")
def t(): ...

kept = []

async def main():
    results = [await run_blocking(t.delay) for _ in range(10)]
    for result in results[:4]:  # waits that subscribe, and time out: nothing stores a result
        try:
            await run_blocking(result.get, timeout=0.2)
        except TimeoutError:
            pass
    if when != "up":
        os.kill(int(sys.argv[4]), signal.SIGKILL)  # the Redis server goes away
    if when == "gc":  # collected while the loop runs: the cleanup meets the dead server
        del results
        gc.collect()
        await asyncio.sleep(1.0)
    else:  # still referenced at interpreter exit
        kept.extend(results)

asyncio.run(main())
print("done")
"""


@pytest.mark.parametrize("when", ["up", "gone", "gc"])
@pytest.mark.parametrize("kind", ["CeleryAsync", "Celery"])
def test_nothing_is_printed_at_garbage_collection_or_exit(
    tmp_path: Path, redis_server: RedisServer, kind: str, when: str
) -> None:
    """0.1.0 printed ``Exception ignored in _LoopSafeResult.__del__ ... Retry limit exceeded``
    (or ``sys.meta_path is None``) for every result still around at exit after result waits."""
    script = tmp_path / "quiet.py"
    script.write_text(QUIET_EXIT)
    argv = [sys.executable, str(script), redis_server.url(), kind, when, str(redis_server.pid)]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "done\n", "")


def test_pool_shuts_down_at_interpreter_exit(tmp_path: Path, redis_server: RedisServer) -> None:
    script = tmp_path / "main.py"
    script.write_text(
        textwrap.dedent(f"""
            import asyncio, threading, time
            from celery_asyncx import create_celery_app, run_blocking

            app = create_celery_app({redis_server.url()!r})

            @app.task(name="exit.t")
            def t(): ...

            async def main():
                await asyncio.gather(*(t.delayx() for _ in range(20)))
                # still running when the loop ends: the interpreter waits for it, briefly
                asyncio.ensure_future(run_blocking(time.sleep, 0.3))
                await asyncio.sleep(0.05)
                print(sorted(t.name for t in threading.enumerate()))

            asyncio.run(main())
        """)
    )
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "celery-async_0" in result.stdout
    assert "Traceback" not in result.stderr
    assert time.perf_counter() - start < 10


# --- against a real redis-server ------------------------------------------------------------


def drain(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    """Pop every message published to ``queue`` (any priority list), oldest first."""
    messages = []
    for key in sorted(client.keys(f"{queue}*")):
        while (raw := client.rpop(key)) is not None:
            messages.append(json.loads(raw))
    return messages


def comparable(message: dict[str, Any], task_id: str | None = None) -> dict[str, Any]:
    """The message without what must differ: kombu's per-publish delivery tag, the sending
    thread's id (``reply_to``), and the broker TTL that ``expires`` becomes (milliseconds from
    now, rounded here to a minute)."""
    message = json.loads(json.dumps(message))
    del message["properties"]["delivery_tag"]
    assert message["properties"].pop("reply_to")
    if "expiration" in message["properties"]:
        message["properties"]["expiration"] = round(int(message["properties"]["expiration"]), -5)
    if task_id is not None:  # delay() picks a fresh id per call
        text = json.dumps(message).replace(message["headers"]["id"], "<id>")
        message = json.loads(text)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def test_wire_message_is_the_sync_calls(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    app = make_app(redis_server.url())
    client = redis.Redis.from_url(redis_server.url())

    @app.task(name="unit.add", shared=False)
    def add(x: int, y: int) -> int:
        return x + y

    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    options: dict[str, Any] = {
        "task_id": "fixed-id",
        "eta": when,
        "expires": when + dt.timedelta(hours=1),
        "queue": "wire",
        "headers": {"tenant": "acme"},
        "priority": 6,
        "link": add.s(10),
        "link_error": add.si(0, 0),
        "retry_policy": {"max_retries": 0},
        "shadow": "add-shadow",
        "time_limit": 30,
        "soft_time_limit": 20,
    }

    async def main() -> None:
        sync = add.apply_async((1,), {"y": 2}, **options)
        assert (await add.apply_asyncx((1,), {"y": 2}, **options)).id == sync.id
        [a, b] = drain(client, "wire")
        assert comparable(a) == comparable(b)
        assert a["properties"]["priority"] == 6 and a["headers"]["tenant"] == "acme"

        add.apply_async((1, 2), queue="wire", countdown=60)
        await add.apply_asyncx((1, 2), queue="wire", countdown=60)
        [a, b] = drain(client, "wire")
        eta_a, eta_b = (dt.datetime.fromisoformat(m["headers"]["eta"]) for m in (a, b))
        assert abs((eta_a - eta_b).total_seconds()) < 5

        add.delay(1, y=2)
        await add.delayx(1, y=2)
        app.send_task("unit.add", (1, 2), queue="wire", task_id="sent")
        await app.send_taskx("unit.add", (1, 2), queue="wire", task_id="sent")
        add.s(1, 2).set(queue="wire").delay()
        await run_blocking(add.s(1, 2).set(queue="wire").delay)
        [a, b] = drain(client, app.conf.task_default_queue)
        assert comparable(a, "id") == comparable(b, "id")
        c, d, e, f = drain(client, "wire")
        assert comparable(c) == comparable(d)
        assert comparable(e, "id") == comparable(f, "id")

        # Published together (one producer, one pipeline): the same messages, in order.
        for n in range(3):
            add.apply_async((n,), {"y": 2}, **{**options, "task_id": f"batch-{n}"})
        await asyncio.gather(
            *(
                add.apply_asyncx((n,), {"y": 2}, **{**options, "task_id": f"batch-{n}"})
                for n in range(3)
            )
        )
        sync_sent, batched = (lambda m: (m[:3], m[3:]))(drain(client, "wire"))
        assert [comparable(m) for m in sync_sent] == [comparable(m) for m in batched]
        assert [m["headers"]["id"] for m in batched] == ["batch-0", "batch-1", "batch-2"]

    asyncio.run(main())


# --- publishes that wait are sent together --------------------------------------------------


def test_waiting_publishes_go_out_together(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    """kombu's Producer.batch: a message is in Redis only once its batch is flushed."""
    app = make_app(redis_server.url())
    client = redis.Redis.from_url(redis_server.url())
    queue = app.conf.task_default_queue
    in_redis_when_published: list[int] = []
    publishers: set[str] = set()

    @app.task(name="unit.batched", shared=False)
    def batched(n: int) -> None: ...

    def on_published(**_: Any) -> None:
        in_redis_when_published.append(int(client.llen(queue)))
        publishers.add(threading.current_thread().name)

    async def main() -> list[Any]:
        await batched.delayx(-1)  # connections open
        client.delete(queue)
        in_redis_when_published.clear()
        publishers.clear()
        results = await asyncio.gather(
            *(batched.delayx(n) for n in range(30)), app.send_taskx("unit.batched", (30,))
        )
        return list(results)

    with connected(signals.after_task_publish, on_published):
        results = asyncio.run(main())
    messages = drain(client, queue)
    assert [json.loads(base64.b64decode(m["body"]))[0] for m in messages] == [
        [n] for n in range(31)
    ], "every message sent once, in order"
    assert [r.id for r in results] == [m["headers"]["id"] for m in messages]
    assert len(publishers) == 1, publishers
    # Published into a batch, so not in Redis yet when the signal fires; 31 round trips
    # would show 0, 1, 2, ... 30 here. Usually [0] or [0, 1] (the first may go alone, before
    # the others are queued); on a busy machine the thread may take them in a few batches.
    assert len(set(in_redis_when_published)) <= 4, in_redis_when_published


def test_one_bad_call_does_not_sink_its_batch(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    app = make_app(redis_server.url())
    client = redis.Redis.from_url(redis_server.url())

    @app.task(name="unit.arg", shared=False)
    def arg(value: Any) -> None: ...

    async def main() -> list[Any]:
        await arg.delayx(0)
        client.delete(app.conf.task_default_queue)
        calls = [arg.delayx(n) for n in range(5)] + [arg.delayx(object())]  # not JSON
        return list(
            await asyncio.gather(
                *calls, *(arg.delayx(n) for n in range(5, 10)), return_exceptions=True
            )
        )

    outcomes = asyncio.run(main())
    assert isinstance(outcomes[5], EncodeError) and not isinstance(outcomes[5], BrokerUnavailable)
    assert all(isinstance(r, AsyncResult) for r in outcomes[:5] + outcomes[6:])
    sent = [
        json.loads(base64.b64decode(m["body"]))[0]
        for m in drain(client, app.conf.task_default_queue)
    ]
    assert sent == [[n] for n in range(10)]
    del outcomes
    gc.collect()  # the results the error's traceback holds: unsubscribe while Redis is up


def test_a_cancelled_waiting_publish_is_not_sent(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    app = make_app(redis_server.url(), async_dispatch_max_in_flight=3)
    client = redis.Redis.from_url(redis_server.url())
    gate = threading.Event()

    @app.task(name="unit.gated", shared=False)
    def gated() -> None: ...

    def hold_the_first(headers: dict[str, Any], **_: Any) -> None:
        if headers["id"] == "first":
            assert gate.wait(10)

    async def main() -> None:
        first = asyncio.ensure_future(gated.apply_asyncx(task_id="first"))
        await asyncio.sleep(0.1)  # the publishing thread now waits in the signal
        queued = [asyncio.ensure_future(gated.apply_asyncx(task_id=f"q{n}")) for n in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(BrokerUnavailable, match="capacity exhausted"):
            await gated.apply_asyncx(task_id="over the cap")
        queued[0].cancel()
        gate.set()
        assert (await first).id == "first" and (await queued[1]).id == "q1"
        with pytest.raises(asyncio.CancelledError):
            await queued[0]
        await asyncio.gather(*(gated.apply_asyncx(task_id=f"r{n}") for n in range(3)))  # slots back

    with connected(signals.before_task_publish, hold_the_first):
        asyncio.run(main())
    ids = [m["headers"]["id"] for m in drain(client, app.conf.task_default_queue)]
    assert ids == ["first", "q1", "r0", "r1", "r2"]


def test_batch_size_one_publishes_one_at_a_time(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    app = make_app(redis_server.url(), async_dispatch_batch_size=1, async_dispatch_pool_size=4)
    publishers: set[str] = set()
    gate = threading.Barrier(4, timeout=10)

    @app.task(name="unit.single", shared=False)
    def single() -> None: ...

    def on_publish(**_: Any) -> None:
        publishers.add(threading.current_thread().name)
        gate.wait()  # four publishes at once: only possible on four threads

    async def main() -> None:
        await asyncio.gather(*(single.delayx() for _ in range(4)))

    with connected(signals.before_task_publish, on_publish):
        asyncio.run(main())
    assert len(publishers) == 4


def test_result_reads_go_through_the_pool(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    app = make_app(redis_server.url())
    result = app.AsyncResult("never-sent")

    async def main() -> None:
        assert await read_result(result, "state") == "PENDING"
        assert await run_blocking(result.ready) is False
        with pytest.raises(CeleryTimeoutError):
            await run_blocking(result.get, timeout=0.3)

    asyncio.run(main())


def test_results_dropped_on_the_loop_do_not_block_it(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer
) -> None:
    """The Redis backend unsubscribes in AsyncResult.__del__, reconnecting if it must."""
    app = make_app(redis_server.url())

    @app.task(name="unit.dropped", shared=False)
    def dropped() -> None: ...

    async def main() -> float:
        results = [await dropped.delayx() for _ in range(20)]  # each subscribed to its result
        assert all(isinstance(r, LoopSafeResult) for r in results)
        redis_server.pause()
        start = time.perf_counter()
        del results
        gc.collect()
        await asyncio.sleep(0)
        return time.perf_counter() - start

    # Cleaning up on the loop would cost at least 20 x the 0.25 s socket timeout (5 s); the
    # margin absorbs gc.collect() and a busy machine.
    assert asyncio.run(main()) < 1.0
    redis_server.resume()


@pytest.mark.parametrize("results", ["redis", "none"])
@pytest.mark.parametrize("fault", ["refused", "paused"])
def test_redis_outage_raises_broker_unavailable_quickly(
    make_app: Callable[..., CeleryAsync], redis_server: RedisServer, fault: str, results: str
) -> None:
    backend = redis_server.url() if results == "redis" else None
    app = make_app(redis_server.url(), backend=backend)

    @app.task(name="unit.t", shared=False)
    def t() -> None: ...

    async def main() -> list[float]:
        await t.delayx()  # connections open, as in a running service
        redis_server.kill() if fault == "refused" else redis_server.pause()

        async def timed() -> float:
            start = time.perf_counter()
            with pytest.raises(BrokerUnavailable):
                await t.delayx()
            return time.perf_counter() - start

        return list(await asyncio.gather(*(timed() for _ in range(30))))

    durations = asyncio.run(main())
    redis_server.resume()
    assert max(durations) < 2.0, durations


def test_run_blocking_finds_the_app_of_a_bound_app_method() -> None:
    """``run_blocking(app.send_task, ...)`` runs on that app's pool, not current_app's."""
    from celery import Celery

    mine, other = Celery("mine", set_as_current=False), Celery("other")
    other.set_current()
    assert app_of(mine.send_task) is mine
    assert app_of(mine.control.revoke) is mine
    assert app_of(print) is other
    # run_blocking(getattr, result, "state"); run_blocking(group(...)) called as it is
    assert app_of(getattr, mine.AsyncResult("x"), "state") is mine
    assert app_of(celery.group(mine.signature("a"), mine.signature("b"))) is mine
    assert app_of(print, object()) is other
