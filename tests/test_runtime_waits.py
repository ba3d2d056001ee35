"""Awaiting results holds no thread: real redis-server, real Celery worker, and Celery's
database backend on SQLite (the polled backend).

Waits behave as ``AsyncResult.get``: each gets its own value, a failure re-raises the task's
exception (or returns it with ``propagate=False``), ``timeout`` raises Celery's
``TimeoutError``, a cancelled wait leaves no subscription, task or connection behind, and an
unreachable Redis gives ``BrokerUnavailable``. Latency figures live in
``benchmarks/results.py``; these tests assert thread counts and outcomes, with generous
bounds only on how long to wait for an event.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery, chain, group
from celery._state import _set_task_join_will_block
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery_asyncx import BrokerUnavailable, CeleryAsync, run_blocking, wait_result
from celery_asyncx.dispatcher import dispatcher_for
from celery_asyncx.waits import active_sources, routed
from servers import CeleryWorker, RedisServer, thread_count

TESTS = Path(__file__).resolve().parent
MATRIX = pytest.mark.celery_matrix  # noxfile.py runs these on every Celery line we claim
GENEROUS = 60.0  # seconds: only how long to wait for an event on a busy machine
Spawn = Callable[[Any], Any]


def make_app(broker: str, backend: str) -> tuple[CeleryAsync, Any, Any]:
    """A client app with the worker's tasks (``tests/waits_app.py``): app, echo, boom."""
    app = CeleryAsync("waits_app", broker=broker, backend=backend)

    @app.task(name="waits.echo", shared=False)
    def echo(value: object) -> object:
        return value

    @app.task(name="waits.boom", shared=False)
    def boom(message: str) -> None:
        raise ValueError(message)

    return app, echo, boom


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database per test process: Celery before 5.7 creates the tables once per process
    (its session manager is a default argument), so a second database would have none."""
    return f"db+sqlite:///{tmp_path_factory.mktemp('results') / 'results.sqlite'}"


@pytest.fixture(params=["redis", "sqlite"])
def backend_url(request: pytest.FixtureRequest, redis_server: RedisServer, sqlite_url: str) -> str:
    return redis_server.url(1) if request.param == "redis" else sqlite_url


@pytest.fixture
def start_worker(spawn: Spawn, redis_server: RedisServer) -> Callable[[str], CeleryWorker]:
    def start(backend: str) -> CeleryWorker:
        env = {"BROKER_URL": redis_server.url(), "BACKEND_URL": backend}
        return spawn(CeleryWorker("waits_app:celery_app", cwd=TESTS, env=env))  # type: ignore[no-any-return]

    return start


@pytest.fixture(autouse=True)
def _no_join_guard() -> Iterator[None]:
    yield
    _set_task_join_will_block(False)


@MATRIX
def test_many_waits_hold_no_thread_and_each_gets_its_own_value(
    backend_url: str, redis_server: RedisServer, start_worker: Callable[[str], CeleryWorker]
) -> None:
    _, echo, _ = make_app(redis_server.url(), backend_url)

    async def main() -> None:
        results = await asyncio.gather(*(echo.delayx(n) for n in range(200)))
        before = thread_count(os.getpid())
        waits = [asyncio.ensure_future(run_blocking(r.get, timeout=600)) for r in results]
        await asyncio.sleep(0.5)  # subscribed / polled at least once
        probe = await asyncio.wait_for(echo.delayx("probe"), GENEROUS)  # a dispatch goes out
        assert probe.id and not any(wait.done() for wait in waits), "waited on nothing stored"
        assert thread_count(os.getpid()) - before <= 24
        start_worker(backend_url)  # it stores the 201 results now
        values = await asyncio.wait_for(asyncio.gather(*waits), GENEROUS)
        assert values == list(range(200))
        assert thread_count(os.getpid()) - before <= 24

    asyncio.run(main())


@MATRIX
def test_failure_propagates_as_get_does_and_is_cached(
    backend_url: str, redis_server: RedisServer, start_worker: Callable[[str], CeleryWorker]
) -> None:
    app, echo, boom = make_app(redis_server.url(), backend_url)

    async def main() -> None:
        failed = await boom.delayx("bad input")
        start_worker(backend_url)
        with pytest.raises(ValueError, match="bad input"):
            await run_blocking(failed.get, timeout=GENEROUS)
        again = app.AsyncResult(failed.id)
        error = await run_blocking(again.wait, timeout=GENEROUS, propagate=False)
        assert isinstance(error, ValueError) and str(error) == "bad input"
        if backend_url.startswith("redis"):
            redis_server.pause()  # read from the result's cache, or this would hang
        try:
            assert (again.state, again.result) == ("FAILURE", error)
        finally:
            redis_server.resume()
        # follow_parents: the chain stops at its failed first task, as get() reports
        chained = await run_blocking(chain(boom.si("parent failed"), echo.si(1)).apply_async)
        with pytest.raises(ValueError, match="parent failed"):
            await chained.getx(timeout=GENEROUS)

    asyncio.run(main())


def test_a_result_stored_before_the_wait_is_not_missed(
    backend_url: str, redis_server: RedisServer
) -> None:
    app, _, _ = make_app(redis_server.url(), backend_url)
    stored = str(uuid.uuid4())
    app.backend.store_result(stored, {"answer": 42}, "SUCCESS")

    async def main() -> None:
        assert await run_blocking(app.AsyncResult(stored).get, timeout=5) == {"answer": 42}
        assert await wait_result(app.AsyncResult(stored), timeout=5) == {"answer": 42}

    asyncio.run(main())


def test_a_plain_celery_app_waits_the_same_way(
    backend_url: str, redis_server: RedisServer, start_worker: Callable[[str], CeleryWorker]
) -> None:
    app = Celery("waits_app", broker=redis_server.url(), backend=backend_url)

    async def main() -> None:
        results = [await run_blocking(app.send_task, "waits.echo", (n,)) for n in range(50)]
        before = thread_count(os.getpid())
        waits = [asyncio.ensure_future(run_blocking(r.get, timeout=600)) for r in results]
        await asyncio.sleep(0.5)
        assert thread_count(os.getpid()) - before <= 24 and not any(w.done() for w in waits)
        start_worker(backend_url)
        assert await asyncio.wait_for(asyncio.gather(*waits), GENEROUS) == list(range(50))
        again = app.AsyncResult(results[7].id)
        assert await wait_result(again, timeout=GENEROUS) == 7

    asyncio.run(main())


# Not in the Celery matrix: the timeout is ours, and celery.exceptions.TimeoutError is the
# same class on every line.
def test_timeout_raises_celerys_timeout_error(backend_url: str, redis_server: RedisServer) -> None:
    app, _, _ = make_app(redis_server.url(), backend_url)

    async def main() -> None:
        with pytest.raises(CeleryTimeoutError):
            await run_blocking(app.AsyncResult(str(uuid.uuid4())).get, timeout=0.3)
        assert await _nothing_left(), "a timed-out wait left something behind"

    asyncio.run(main())


async def _nothing_left() -> bool:
    """No subscriber or poller still connected or running, no task but this one."""
    for _ in range(int(GENEROUS * 10)):  # an idle subscriber lingers for 2 s
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if not active_sources() and not others:
            return True
        await asyncio.sleep(0.1)
    return False


def test_a_cancelled_wait_unsubscribes_and_leaves_nothing(
    backend_url: str, redis_server: RedisServer
) -> None:
    app, _, _ = make_app(redis_server.url(), backend_url)
    result = app.AsyncResult(str(uuid.uuid4()))
    channel = app.backend.get_key_for_task(result.id) if backend_url.startswith("redis") else None
    probe = redis.Redis(port=redis_server.port)

    def subscribers() -> int:
        return int(probe.pubsub_numsub(channel)[0][1]) if channel else 0

    async def main() -> None:
        wait = asyncio.ensure_future(run_blocking(result.get))
        for _ in range(int(GENEROUS * 10)):
            await asyncio.sleep(0.1)
            if subscribers() or not channel:
                break
        assert subscribers() == (1 if channel else 0)
        wait.cancel()
        with pytest.raises(asyncio.CancelledError):
            await wait
        assert await _nothing_left()
        assert subscribers() == 0

    asyncio.run(main())


def test_dispatch_leaves_no_subscription_that_nobody_reads(redis_server: RedisServer) -> None:
    """Celery subscribes to a result as its task is sent; in the pool's threads nothing would
    ever read that subscription, and every result would pile up on its connection."""
    app, echo, _ = make_app(redis_server.url(), redis_server.url(1))
    probe = redis.Redis(port=redis_server.port)

    async def main() -> list[Any]:
        return [await echo.delayx(n) for n in range(20)]

    keys = [app.backend.get_key_for_task(result.id) for result in asyncio.run(main())]
    assert {count for _, count in probe.pubsub_numsub(*keys)} == {0}


@MATRIX
def test_results_dropped_after_waits_cost_no_pool_call(
    backend_url: str, redis_server: RedisServer
) -> None:
    """A thousand waits ending (here: cancelled) drop a thousand results on the loop; with
    nothing to clean up for them, none may take a slot or a thread of the pool dispatch
    needs (in 0.2.0 each scheduled a pool call: dispatch found the pool at capacity)."""
    app, echo, _ = make_app(redis_server.url(), backend_url)
    handed_over: list[object] = []

    async def main() -> None:
        await echo.delayx("warm-up")
        pool = dispatcher_for(app)
        pool.run_soon = handed_over.append  # type: ignore[method-assign]
        waits = [asyncio.ensure_future(wait_result(app.AsyncResult(str(n)))) for n in range(1000)]
        await asyncio.sleep(0.5)
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
        del waits
        gc.collect()
        await asyncio.sleep(0.1)  # what the results' __del__ scheduled has run
        assert handed_over == []

    asyncio.run(main())


def test_redis_down_gives_broker_unavailable_not_a_hang(redis_server: RedisServer) -> None:
    app, _, _ = make_app(redis_server.url(), redis_server.url(1))

    async def main() -> None:
        for fault in (redis_server.pause, redis_server.kill):
            fault()
            with pytest.raises(BrokerUnavailable):  # with its own timeout far away
                wait = run_blocking(app.AsyncResult(str(uuid.uuid4())).get, timeout=600)
                await asyncio.wait_for(wait, GENEROUS)
            redis_server.resume()

    asyncio.run(main())


def test_group_results_in_order(
    backend_url: str, redis_server: RedisServer, start_worker: Callable[[str], CeleryWorker]
) -> None:
    _, echo, _ = make_app(redis_server.url(), backend_url)

    async def main() -> None:
        results = await run_blocking(group(echo.s(n) for n in range(5)).apply_async)
        start_worker(backend_url)
        assert await run_blocking(results.get, timeout=GENEROUS) == [0, 1, 2, 3, 4]
        assert await run_blocking(results.join, timeout=GENEROUS) == [0, 1, 2, 3, 4]

    asyncio.run(main())


def test_disable_sync_subtasks_as_get(redis_server: RedisServer) -> None:
    app, _, _ = make_app(redis_server.url(), redis_server.url(1))
    stored = str(uuid.uuid4())
    app.backend.store_result(stored, 7, "SUCCESS")

    async def main() -> None:
        _set_task_join_will_block(True)  # as inside a worker's task
        with pytest.raises(RuntimeError, match=r"Never call result\.get"):
            await run_blocking(app.AsyncResult(stored).get, timeout=5)
        result = app.AsyncResult(stored)
        assert await run_blocking(result.get, timeout=5, disable_sync_subtasks=False) == 7

    asyncio.run(main())


def test_only_result_waits_are_routed(redis_server: RedisServer) -> None:
    app, echo, _ = make_app(redis_server.url(), redis_server.url(1))
    result = app.AsyncResult("x")
    for call, kwargs in ((result.get, {"timeout": 1}), (result.wait, {})):
        wait = routed(call, (), kwargs)
        assert wait is not None
        wait.close()
    assert routed(result.get, (), {"callback": print}) is None  # runs on the pool, as before
    assert routed(app.send_task, ("waits.echo",), {}) is None
    assert routed(echo.apply_async, (), {}) is None


def test_redis_paused_during_a_wait_fails_it_before_its_timeout(
    redis_server: RedisServer,
) -> None:
    """The subscriber PINGs while waits are pending: a server that stops answering fails them
    (in about 6 s) with BrokerUnavailable, not after their own timeout."""
    app, _, _ = make_app(redis_server.url(), redis_server.url(1))
    probe = redis.Redis(port=redis_server.port)
    result = app.AsyncResult(str(uuid.uuid4()))

    async def main() -> None:
        wait = asyncio.ensure_future(wait_result(result, timeout=600))
        while not probe.pubsub_numsub(app.backend.get_key_for_task(result.id))[0][1]:
            await asyncio.sleep(0.05)
        redis_server.pause()
        try:
            with pytest.raises(BrokerUnavailable, match="PING"):
                await asyncio.wait_for(wait, GENEROUS)
        finally:
            redis_server.resume()

    asyncio.run(main())


@MATRIX
def test_nothing_is_printed_at_exit_after_waits(redis_server: RedisServer) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, uuid
        from celery_asyncx import CeleryAsync, run_blocking

        app = CeleryAsync(broker="{redis_server.url()}", backend="{redis_server.url(1)}")
        app.backend.store_result("done", 1, "SUCCESS")

        async def main():
            assert await run_blocking(app.AsyncResult("done").get, timeout=5) == 1
            pending = asyncio.ensure_future(run_blocking(app.AsyncResult("later").get))
            await asyncio.sleep(0.3)
            try:
                await run_blocking(app.AsyncResult(str(uuid.uuid4())).get, timeout=0.2)
            except Exception as exc:
                print(type(exc).__name__)
            # left pending: the loop closes with it

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=GENEROUS
    )
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("TimeoutError\n", "")


def test_results_benchmark_runs(tmp_path: Path) -> None:
    """``benchmarks/results.py`` end to end, small: every figure it reports is there."""
    out = tmp_path / "results.json"
    script = TESTS.parent / "benchmarks" / "results.py"
    argv = [sys.executable, str(script), "--waits", "5", "--probes", "20", "--json", str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    for backend in ("redis", "sqlite"):
        (run,) = report["results"][backend]
        assert run["waits"] == 5 and run["threads_added"] <= 24
        assert run["store_to_return"]["p50"] > 0 and run["dispatch_ratio"]["p99"] > 0
    assert set(report["within_budget"]) == {
        "threads_flat", "dispatch_p99_ratio_at_most_waits", "redis_store_to_return_p50"
    }  # fmt: skip
