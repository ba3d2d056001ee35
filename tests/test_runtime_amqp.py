"""The runtime on RabbitMQ: a real rabbitmq-server node (one per test session, see
``conftest.rabbitmq``), py-amqp, publisher confirms; messages counted on the broker.

Faults here are short (about a second); ``benchmarks/outage.py --broker amqp`` runs long
ones. Time limits are several times what is expected, for a busy 2-core machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import amqp.transport
import pytest
from celery.result import AsyncResult
from celery.signals import before_task_publish
from celery_asyncx import (
    DEFAULTS,
    BrokerUnavailable,
    CeleryAsync,
    _internals,
    create_celery_app,
    run_blocking,
)
from celery_asyncx.routing import pool_of
from kombu import Exchange, Queue
from servers import RabbitMQServer

RECOVERED = 60.0  # seconds: how long the broker may take to take dispatches again once mended
QUIET = 1.5  # seconds without a failed dispatch that show dispatching is back
# The socket timeout of apps whose test is not about failing fast: the default, 0.25 s, is
# what a loaded machine's healthy broker sometimes needs for a confirm, and the dispatch
# then fails fast, as it should; these tests are about what arrives, not how soon.
PATIENT = {"async_dispatch_socket_timeout": 30.0}
FAIL_FAST = 2.0  # expected 0.25-0.5 s (T = 0.25 s): every failing dispatch answers within this


@pytest.fixture
def make_app(rabbitmq: RabbitMQServer) -> Iterator[Callable[..., CeleryAsync]]:
    apps: list[CeleryAsync] = []

    def make(**kwargs: Any) -> CeleryAsync:
        kwargs.setdefault("set_as_current", False)
        backend = kwargs.pop("backend_url", None)
        app = create_celery_app(rabbitmq.url(), backend, main="amqp", **kwargs)
        app.task(name="amqp.record", shared=False)(record)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def record(n: int) -> None:
    """Never runs here: no worker consumes, the test reads the queue."""


def task(app: CeleryAsync) -> Any:
    return app.tasks["amqp.record"]


async def connected(t: Any) -> None:
    """A first dispatch on a healthy broker, so that the pool holds a connection before a
    fault. On a loaded machine the broker is now and then slower than the connect or confirm
    timeout: that dispatch fails fast, by design; it is tried again after the cooldown, for
    up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            await t.delayx(0)
            return
        except BrokerUnavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(DEFAULTS["async_dispatch_cooldown"])


def test_create_celery_app_on_amqp_has_no_result_backend(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    app = make_app()
    assert app.conf.result_backend is None  # Celery 5 has no amqp:// result backend

    async def main() -> Any:
        return await task(app).delayx(1)

    result = asyncio.run(main())
    assert rabbitmq.task_ids() == [result.id]


def test_the_pool_publishes_with_confirms_and_bounded_sockets(
    make_app: Callable[..., CeleryAsync],
) -> None:
    app = make_app(broker_transport_options={"client_properties": {"x": "y"}})

    def options() -> dict[str, Any]:
        with app.producer_or_acquire() as producer:
            return {
                **producer.connection.transport_options,
                "connect": producer.connection.connect_timeout,
            }

    async def main() -> dict[str, Any]:
        return await pool_of(app).run(options)

    inside = asyncio.run(main())
    assert inside == {
        "client_properties": {"x": "y"},
        "confirm_publish": True,
        "read_timeout": 0.25,
        "write_timeout": 0.25,
        "max_retries": 0,
        "connect": 0.25,
    }
    assert options() == {"client_properties": {"x": "y"}, "connect": 4}, "stock outside"


def test_messages_are_the_sync_calls_and_all_arrive(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    app = make_app(**PATIENT)
    t = task(app)
    options = {"headers": {"tenant": "acme"}, "priority": 3, "expires": 3600, "countdown": 60}

    async def main() -> None:
        t.apply_async((1,), task_id="sync", **options)
        await t.apply_asyncx((1,), task_id="async", **options)
        await asyncio.gather(*(t.apply_asyncx((n,), task_id=f"c{n}") for n in range(300)))
        await run_blocking(t.s(2).set(task_id="canvas").delay)

    asyncio.run(main())
    messages = rabbitmq.messages()
    assert [m.headers["id"] for m in messages] == [
        "sync", "async", *(f"c{n}" for n in range(300)), "canvas",
    ]  # fmt: skip
    sync, ours = messages[:2]
    assert json.loads(sync.body) == json.loads(ours.body)
    unique = {"id": 0, "root_id": 0, "eta": 0, "expires": 0}  # the task id, and times
    assert {**sync.headers, **unique} == {**ours.headers, **unique}
    assert ours.headers["tenant"] == "acme" and ours.properties["priority"] == 3
    for properties in (sync.properties, ours.properties):
        del properties["reply_to"]  # names the sending thread
        del properties["application_headers"]  # compared above
    sync.properties.pop("correlation_id"), ours.properties.pop("correlation_id")  # the task id
    assert sync.properties == ours.properties


@dataclass
class Dispatch:
    task_id: str
    started: float  # seconds since the stream began
    seconds: float
    error: BaseException | None


async def stream(
    app: CeleryAsync, name: str, events: dict[float, Callable[[], None]], after: float = QUIET
) -> tuple[list[Dispatch], float]:
    """A dispatch every 10 ms, each awaited on its own, until ``after`` seconds past the last
    of ``events`` (run off the loop, in order, at their times: {0.3: pause, 1.3: resume})
    and past the end of the first dispatch that succeeded after it (however long the broker
    takes to come back on a busy machine, up to RECOVERED); the dispatches, and when
    (seconds since the start) the last event had finished."""
    loop, t = asyncio.get_running_loop(), task(app)
    start = loop.time()

    async def one(n: int) -> Dispatch:
        started = loop.time() - start
        try:
            await t.apply_asyncx((n,), task_id=f"{name}-{n}")
            error = None
        except Exception as exc:
            error = exc
        return Dispatch(f"{name}-{n}", started, loop.time() - start - started, error)

    async def in_order() -> list[float]:
        """Each event at its time, or once the one before it has finished: rabbitmqctl can
        take seconds on a busy machine, and a mend that overtook its fault would undo nothing
        (the alarm set after it was cleared would stay)."""
        finished = []
        for when, event in sorted(events.items()):
            await asyncio.sleep(max(0.0, when - (loop.time() - start)))
            await asyncio.to_thread(event)
            finished.append(loop.time() - start)
        return finished

    def until() -> float:
        """When the stream may stop, as far as is known now: ``after`` seconds without a
        failure once a dispatch has gone through after the last event, or RECOVERED."""
        last = max(scheduled.result())
        done = [f.result() for f in dispatches if f.done()]
        return min(last + RECOVERED, max(last + after, quiet_since(done, last) + after))

    scheduled = asyncio.ensure_future(in_order())
    dispatches: list[asyncio.Future[Dispatch]] = []
    while not scheduled.done() or loop.time() - start < until():
        dispatches.append(asyncio.ensure_future(one(len(dispatches))))
        await asyncio.sleep(0.01)
    return list(await asyncio.gather(*dispatches)), max(scheduled.result())


def quiet_since(dispatches: list[Dispatch], mended_at: float) -> float:
    """From when no dispatch has failed: the end of the first that went through after
    ``mended_at``, or of the last failure started after that (inf: none went through)."""
    back = [d.started + d.seconds for d in dispatches if d.error is None and d.started > mended_at]
    if not back:
        return float("inf")
    recovered = min(back)
    return max([d.started + d.seconds for d in dispatches if d.error and d.started > recovered],
               default=recovered)  # fmt: skip


FAULTS: dict[str, tuple[Callable[[RabbitMQServer], None], Callable[[RabbitMQServer], None]]] = {
    "pause": (RabbitMQServer.pause, RabbitMQServer.resume),
    "alarm": (RabbitMQServer.alarm, RabbitMQServer.clear_alarm),  # rabbitmqctl: ~0.6 s each
    "drop": (RabbitMQServer.drop, RabbitMQServer.undrop),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_nothing_accepted_is_lost_and_failures_are_fast(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer, fault: str
) -> None:
    app = make_app()
    fail, mend = FAULTS[fault]

    async def main() -> tuple[list[Dispatch], float]:
        # connections open (no purge after this: deleting a queue a connection has declared
        # makes the broker drop what that connection routes to it). On a loaded machine a
        # healthy broker is now and then slower than the confirm timeout: that dispatch
        # fails fast, by design, and its connection is open all the same.
        opened = await asyncio.gather(
            *(task(app).delayx(0) for _ in range(20)), return_exceptions=True
        )
        assert all(isinstance(o, AsyncResult | BrokerUnavailable) for o in opened), opened
        events = {0.5: lambda: fail(rabbitmq), 1.7: lambda: mend(rabbitmq)}
        return await stream(app, fault, events)

    try:
        dispatches, mended_at = asyncio.run(main())
    finally:
        rabbitmq.healthy()
    accepted = {d.task_id for d in dispatches if d.error is None}
    failed = [d for d in dispatches if d.error is not None]
    on_broker = rabbitmq.task_ids()
    assert accepted <= set(on_broker), f"lost: {sorted(accepted - set(on_broker))[:5]}"
    assert len(on_broker) == len(set(on_broker)), "each once"
    assert failed, "the fault was felt"
    assert all(isinstance(d.error, BrokerUnavailable) for d in failed), failed[0].error
    assert max(d.seconds for d in failed) < FAIL_FAST, max(d.seconds for d in failed)
    # the first failures timed out waiting for the broker: the message says what that means
    assert any("may still have been delivered" in str(d.error) for d in failed)
    # Dispatching comes back and stays back: after the mend, a stretch with no failure as long
    # as the stream waits for. (On a loaded machine a healthy broker can be slower than the
    # confirm timeout now and then: that dispatch fails fast, by design, and the pool goes on.
    # A connection left blocked would keep failing until RECOVERED ran out.)
    quiet = quiet_since(dispatches, mended_at)
    assert quiet < float("inf"), f"nothing went through in the {RECOVERED:.0f} s after the mend"
    late = [d.error for d in dispatches if d.error and d.started > mended_at]
    assert quiet + QUIET <= mended_at + RECOVERED, f"failures went on after the mend: {late[-1:]}"


def test_kill_fails_fast_and_the_first_call_after_a_restart_succeeds(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    """Confirmed messages survive ``kill -9`` (persistent, durable queue); the pooled
    connection the restart left closed is replaced without failing the call."""
    app = make_app()
    t = task(app)

    async def main() -> tuple[list[str], float]:
        before = [(await t.delayx(n)).id for n in range(50)]
        rabbitmq.kill()
        start = time.perf_counter()
        with pytest.raises(BrokerUnavailable):
            await t.delayx(-1)
        refused_after = time.perf_counter() - start
        rabbitmq.restart()  # takes seconds: the cooldown is long over
        after = [(await t.delayx(n)).id for n in range(5)]
        return before + after, refused_after

    sent, refused_after = asyncio.run(main())
    assert refused_after < FAIL_FAST
    assert rabbitmq.task_ids() == sent


def test_cold_start_against_a_paused_broker_fails_fast(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    """A new connection to a paused node waits in the AMQP handshake: bounded by T too."""
    app = make_app()
    rabbitmq.pause()
    try:
        start = time.perf_counter()
        with pytest.raises(BrokerUnavailable, match="unavailable"):
            asyncio.run(task(app).delayx(1))
        assert time.perf_counter() - start < FAIL_FAST
    finally:
        rabbitmq.resume()


def test_rpc_backend_never_hangs_a_dispatch(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    """rpc:// declares its reply queue on every publish and retries that without limit."""
    app = make_app(backend_url="rpc://")
    t = task(app)

    async def main() -> list[float]:
        ok = await t.delayx(0)

        async def timed() -> float:
            start = time.perf_counter()
            with pytest.raises(BrokerUnavailable):
                await t.delayx(1)
            return time.perf_counter() - start

        rabbitmq.pause()
        try:
            durations = list(await asyncio.gather(*(timed() for _ in range(20))))
        finally:
            rabbitmq.resume()
        await asyncio.sleep(0.6)  # the cooldown
        after = await t.delayx(2)
        assert rabbitmq.task_ids() == [ok.id, after.id]
        return durations

    assert max(asyncio.run(main())) < FAIL_FAST


def test_sync_calls_on_the_same_app_keep_stock_behaviour(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    """During a short pause ``.delay()`` on the rewired app does what stock Celery does
    (py-amqp writes to the socket and returns; the message arrives when the broker is
    back), while ``await delayx()`` fails fast."""
    app = make_app()
    t = task(app)

    async def main() -> tuple[str, float]:
        await connected(t)
        t.delay(0)  # both paths connected, as in a running service
        rabbitmq.pause()
        resume = threading.Timer(1.0, rabbitmq.resume)
        resume.start()
        try:
            start = time.perf_counter()
            with pytest.raises(BrokerUnavailable):
                await t.delayx(1)
            failed_after = time.perf_counter() - start
            return t.delay(2).id, failed_after  # blocks the loop, as in a sync view
        finally:
            resume.join()

    sent, failed_after = asyncio.run(main())
    assert failed_after < FAIL_FAST
    deadline = time.monotonic() + 10
    while sent not in (ids := rabbitmq.task_ids()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sent in ids


def test_a_batch_the_broker_stops_answering_in_fails_fast_and_loses_nothing(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    """The broker is paused while the pool is in the middle of one batch (from Celery's
    ``before_task_publish`` signal, in the pool thread, just before message 150 of 400): the
    batch's unconfirmed publishes fail with BrokerUnavailable within the bounded wait for
    their confirms, and every dispatch that answered OK is on the broker."""
    app = make_app()
    t = task(app)
    paused_at: list[float] = []

    def pause_mid_batch(headers: dict[str, Any] | None = None, **_: Any) -> None:
        if headers and headers.get("id") == "mid-150" and not paused_at:
            rabbitmq.pause()  # SIGSTOP: at once, nothing answers from here on
            paused_at.append(time.perf_counter())

    async def one(n: int) -> tuple[str, float, BaseException | None]:
        start = time.perf_counter()
        try:
            await t.apply_asyncx((n,), task_id=f"mid-{n}")
        except Exception as exc:
            return f"mid-{n}", time.perf_counter() - start, exc
        return f"mid-{n}", time.perf_counter() - start, None

    async def main() -> list[tuple[str, float, BaseException | None]]:
        await asyncio.gather(*(t.delayx(0) for _ in range(20)))  # connected, queue declared
        before_task_publish.connect(pause_mid_batch, weak=False)
        try:
            return list(await asyncio.gather(*(one(n) for n in range(400))))
        finally:
            before_task_publish.disconnect(pause_mid_batch)
            rabbitmq.resume()

    try:
        outcomes = asyncio.run(main())
    finally:
        rabbitmq.healthy()
    assert paused_at, "the broker was paused during the batch"
    accepted = {task_id for task_id, _, error in outcomes if error is None}
    failed = [(task_id, error) for task_id, _, error in outcomes if error is not None]
    on_broker = rabbitmq.task_ids()
    assert accepted <= set(on_broker), f"lost: {sorted(accepted - set(on_broker))[:5]}"
    assert len(on_broker) == len(set(on_broker)), "each once"
    assert "mid-150" in {task_id for task_id, _ in failed}, "the batch it was in failed"
    assert all(isinstance(error, BrokerUnavailable) for _, error in failed), failed[0]
    assert any("may still have been delivered" in str(error) for _, error in failed)
    # T = 0.25 s for the confirms, then the cooldown refuses the rest at once; FAIL_FAST is
    # several times that for a busy 2-core machine
    slowest = max(seconds for _, seconds, error in outcomes if error is not None)
    assert slowest < FAIL_FAST, slowest


@pytest.mark.celery_matrix_amqp  # pipelined confirms on the oldest py-amqp claimed, too
def test_a_nacked_publish_is_an_error_not_a_success(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer
) -> None:
    """A queue that holds 5 messages and refuses more (``x-overflow: reject-publish``): the
    broker nacks the rest of 20 concurrent dispatches; those raise BrokerUnavailable saying
    the broker refused them, the 5 accepted are the 5 on the queue, and no cooldown starts
    (the broker is up: the next dispatch elsewhere goes through)."""
    arguments = {"x-max-length": 5, "x-overflow": "reject-publish"}
    limited = Queue("limited", Exchange("limited"), "limited", queue_arguments=arguments)
    app = make_app(task_queues=[Queue("celery"), limited], **PATIENT)
    t = task(app)

    async def one(n: int) -> BaseException | str:
        try:
            return str((await t.apply_asyncx((n,), task_id=f"full-{n}", queue="limited")).id)
        except Exception as exc:
            return exc

    async def main() -> tuple[list[BaseException | str], str]:
        outcomes = await asyncio.gather(*(one(n) for n in range(20)))
        return list(outcomes), (await t.delayx(0)).id

    try:
        outcomes, after = asyncio.run(main())
        on_broker = rabbitmq.task_ids("limited")
    finally:
        rabbitmq.purge(["limited"])
    accepted = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if not isinstance(o, str)]
    assert sorted(accepted) == sorted(on_broker) and len(on_broker) == 5
    assert len(refused) == 15
    assert all(isinstance(e, BrokerUnavailable) and "refused" in str(e) for e in refused), refused
    assert rabbitmq.task_ids() == [after]


def test_a_dead_broker_gets_one_connection_attempt_per_cooldown(
    make_app: Callable[..., CeleryAsync], rabbitmq: RabbitMQServer, monkeypatch: Any
) -> None:
    """While the broker is down, dispatches (100 at once, then one every 10 ms for 2 s) fail
    with at most one connection attempt in flight and none within the cooldown after a
    failure: the service does not spin on reconnects while the broker boots. Attempts are
    seen where py-amqp opens its TCP connection."""
    app = make_app()
    t = task(app)
    attempts: list[tuple[float, float]] = []  # (start, end) of each TCP connect
    connect = amqp.transport._AbstractTransport._connect

    def observed(transport: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return connect(transport, *args, **kwargs)
        finally:
            attempts.append((start, time.perf_counter()))

    async def one(n: int) -> BaseException | None:
        try:
            await t.delayx(n)
        except Exception as exc:
            return exc
        return None

    async def main() -> list[BaseException | None]:
        await connected(t)  # a pooled connection, which the kill leaves closed
        rabbitmq.kill()
        monkeypatch.setattr(amqp.transport._AbstractTransport, "_connect", observed)
        burst = [asyncio.ensure_future(one(n)) for n in range(100)]
        steady = []
        for n in range(200):
            steady.append(asyncio.ensure_future(one(n)))
            await asyncio.sleep(0.01)
        return list(await asyncio.gather(*burst, *steady))

    try:
        errors = asyncio.run(main())
    finally:
        monkeypatch.undo()
        rabbitmq.restart()
    assert all(isinstance(e, BrokerUnavailable) for e in errors), errors[:1]
    cooldown = DEFAULTS["async_dispatch_cooldown"]
    attempts.sort()
    gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(attempts)]
    # never two at once, and each one at least a cooldown after the one before it failed
    # (a busy machine only makes the gaps longer)
    assert all(gap >= cooldown * 0.99 for gap in gaps), gaps
    # about 2 s / 0.5 s; fewer on a slow machine, never more
    assert 1 <= len(attempts) <= 2 / cooldown + 2, attempts


@pytest.mark.celery_matrix
def test_the_installed_py_amqp_internals_are_known() -> None:
    """Pipelined confirms need py-amqp's private parts; on every Celery line we claim, the
    py-amqp it brings must be one ``_internals`` knows (else the fallback below runs)."""
    _internals.forget_check()
    assert _internals._why_not() is None
    assert _internals.pipelining_supported()


@pytest.mark.celery_matrix_amqp
def test_unknown_py_amqp_internals_fall_back_to_one_confirm_at_a_time(
    make_app: Callable[..., CeleryAsync],
    rabbitmq: RabbitMQServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A py-amqp whose internals are not the known ones: publishes go through kombu's public
    ``confirm_publish`` (each waits for its own ack), nothing is lost, a nack is still an
    error, and the log says so once."""
    monkeypatch.setattr(_internals, "KNOWN_AMQP", ((99, 0), (99, 99)))
    _internals.forget_check()
    monkeypatch.setattr(_internals, "_checked", [])  # and back to the real answer after
    caplog.set_level(logging.WARNING, logger="celery_asyncx")
    arguments = {"x-max-length": 5, "x-overflow": "reject-publish"}
    limited = Queue("limited", Exchange("limited"), "limited", queue_arguments=arguments)
    app = make_app(task_queues=[Queue("celery"), limited], **PATIENT)
    t = task(app)

    async def one(n: int) -> BaseException | str:
        try:
            return str((await t.apply_asyncx((n,), task_id=f"full-{n}", queue="limited")).id)
        except Exception as exc:
            return exc

    async def main() -> tuple[list[str], list[BaseException | str]]:
        sent = await asyncio.gather(*(t.delayx(n) for n in range(50)))
        refused = await asyncio.gather(*(one(n) for n in range(20)))
        return [r.id for r in sent], list(refused)

    try:
        sent, outcomes = asyncio.run(main())
        on_limited = rabbitmq.task_ids("limited")
    finally:
        rabbitmq.purge(["limited"])
    assert sorted(rabbitmq.task_ids()) == sorted(sent)
    accepted = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if not isinstance(o, str)]
    assert sorted(accepted) == sorted(on_limited) and len(on_limited) == 5
    assert all(isinstance(e, BrokerUnavailable) and "refused" in str(e) for e in refused), refused
    pool = pool_of(app)
    assert pool.broker is pool.calls  # the connections opened with confirm_publish
    warnings = [r.getMessage() for r in caplog.records if r.name == "celery_asyncx"]
    assert len(warnings) == 1, warnings
    assert "py-amqp" in warnings[0] and "one at a time" in warnings[0]
