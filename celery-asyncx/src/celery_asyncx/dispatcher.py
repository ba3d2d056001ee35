"""The dispatcher: a fixed-size thread pool per app with an in-flight cap,
a failure cooldown, batched publishes, and broker connections of its own."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import functools
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar, cast

from .confirms import OneAtATime, PipelinedConfirms, pipelined
from .connections import BrokerConnections, batched
from .context import as_if_in, running_tasks
from .errors import (
    AT_LEAST_ONCE,
    NACKED,
    BrokerUnavailable,
    Outcome,
    capture,
    is_unavailable,
    nacked,
    timed_out,
)

__all__ = ["DEFAULTS", "THREAD_NAME_PREFIX", "Dispatcher", "dispatcher_for", "own_dispatcher"]

P = ParamSpec("P")
R = TypeVar("R")

DEFAULTS: dict[str, float] = {
    "async_dispatch_pool_size": 8,
    "async_dispatch_max_in_flight": 1000,
    "async_dispatch_socket_timeout": 0.25,
    "async_dispatch_cooldown": 0.5,
    "async_dispatch_batch_size": 100,
}
THREAD_NAME_PREFIX = "celery-async"


class _Publish:
    """A waiting ``apply_async``/``send_task``, to be given a producer."""

    __slots__ = ("cancelled", "context", "deliver", "send", "tasks")

    def __init__(self, send: Callable[..., Any], deliver: Callable[[Outcome], None]) -> None:
        self.send = send
        self.deliver = deliver
        self.context = contextvars.copy_context()
        self.tasks = running_tasks()
        self.cancelled = False

    def cancel(self) -> None:
        """The caller stopped waiting: unless it has started, never sent."""
        self.cancelled = True

    def attempt(self, producer: Any) -> Outcome:
        call = functools.partial(self.send, producer=producer)
        return capture(functools.partial(self.context.run, as_if_in, self.tasks, call))


_pool_thread = threading.local()  # .dispatcher: the pool this thread is in


class Dispatcher:
    """A fixed-size thread pool with an in-flight cap, a failure cooldown,
    and broker connections of its own.

    Publishes (``delayx``, ``apply_asyncx``, ``send_taskx``) queue up for
    one pool thread at a time, which sends those waiting together (with
    ``async_dispatch_batch_size`` 1, every pool thread takes them one by
    one). Other calls (``run_blocking``) each take a pool thread.
    """

    def __init__(self, app: Any, setting: dict[str, float]) -> None:
        pool_size = int(setting["async_dispatch_pool_size"])
        self._executor = ThreadPoolExecutor(
            pool_size,
            thread_name_prefix=THREAD_NAME_PREFIX,
            initializer=setattr,
            initargs=(_pool_thread, "dispatcher", self),
        )
        self._max_in_flight = int(setting["async_dispatch_max_in_flight"])
        self._slots = threading.BoundedSemaphore(self._max_in_flight)
        self._cooldown = float(setting["async_dispatch_cooldown"])
        self._failed_at = float("-inf")
        self._failure: BaseException | None = None
        self._batch_size = int(setting["async_dispatch_batch_size"])
        self.timeout = float(setting["async_dispatch_socket_timeout"])
        # publishes (confirmed a batch at a time), and run_blocking's calls
        self.broker = BrokerConnections(app, self.timeout, confirm=False)
        self.calls = BrokerConnections(app, self.timeout, confirm=True)
        # RabbitMQ: a batch's confirms pipelined where py-amqp's internals
        # are known, else one at a time (kombu's confirm_publish)
        self._confirms: type[PipelinedConfirms | OneAtATime] = PipelinedConfirms
        if self.broker.amqp and not pipelined():
            self.broker, self._confirms = self.calls, OneAtATime
        self._publishes: collections.deque[_Publish] = collections.deque()
        self._publishers = 0  # pool threads working through _publishes
        batched = self._batch_size > 1
        self._chunk = self._batch_size if batched else 1
        self._most_publishers = 1 if batched else pool_size
        self._publishes_lock = threading.Lock()
        self._finished: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Any]] = (
            weakref.WeakKeyDictionary()
        )  # outcomes not yet handed over
        self._finished_lock = threading.Lock()

    async def run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn`` in the pool, or BrokerUnavailable at once (cooldown, cap)."""
        waiter, deliver = self._waiter()
        call = functools.partial(as_if_in, running_tasks(), functools.partial(fn, *args, **kwargs))
        future = self._submit(call, deliver)
        # If it has not started when the caller is cancelled, it never will.
        return cast(R, await self._outcome(waiter, future.cancel))

    async def publish(self, send: Callable[..., R], /, *args: Any, **options: Any) -> R:
        """``send(*args, **options)``, a task's ``apply_async`` or an app's
        ``send_task``, published with the others waiting."""
        if "producer" in options:
            return await self.run(send, *args, **options)
        options.setdefault("retry", False)  # see _publish_batch
        waiter, deliver = self._waiter()
        job = _Publish(functools.partial(send, *args, **options), deliver)
        self._take_slot()
        with self._publishes_lock:
            self._publishes.append(job)
            start = self._publishers < self._most_publishers
            self._publishers += start
        if start:
            self._start_publishing()
        return cast(R, await self._outcome(waiter, job.cancel))

    def _waiter(
        self,
    ) -> tuple[asyncio.Future[Outcome], Callable[[Outcome], None]]:
        """A future on the running loop, and how a thread completes it."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Outcome] = loop.create_future()
        return waiter, functools.partial(self._finish, loop, waiter)

    @staticmethod
    async def _outcome(waiter: asyncio.Future[Outcome], on_cancel: Callable[[], object]) -> Any:
        try:
            result, error = await waiter
        except asyncio.CancelledError:
            on_cancel()
            raise
        if error is not None:
            raise error
        return result

    def run_soon(self, call: Callable[[], object]) -> None:
        """Start ``call`` in the pool without waiting, unless refused."""
        # RuntimeError: the pool was shut down
        with contextlib.suppress(BrokerUnavailable, RuntimeError):
            self._submit(call, lambda outcome: None)

    def _take_slot(self) -> None:
        self._fail_if_cooling_down()
        if not self._slots.acquire(blocking=False):
            raise BrokerUnavailable(
                f"dispatch capacity exhausted: {self._max_in_flight} calls already in flight"
            )

    def _submit(self, call: Callable[[], R], deliver: Callable[[Outcome], None]) -> Future[None]:
        self._take_slot()

        def work() -> None:
            outcome = self._call(call)
            self._slots.release()  # before the caller resumes
            deliver(outcome)

        try:
            future = self._executor.submit(contextvars.copy_context().run, work)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(self._release_if_cancelled)
        return future

    def _release_if_cancelled(self, future: Future[None]) -> None:
        if future.cancelled():  # it never ran: work() did not release
            self._slots.release()

    def _start_publishing(self) -> None:
        try:
            self._executor.submit(self._publish_waiting)
        except RuntimeError as exc:  # shut down
            with self._publishes_lock:
                self._publishers -= 1
                jobs = [] if self._publishers else list(self._publishes)
                if jobs:  # nothing will publish them
                    self._publishes.clear()
            self._deliver_all(jobs, [(None, exc)] * len(jobs))

    def _publish_waiting(self) -> None:
        """In a pool thread: publish what waits, a batch at a time."""
        while True:
            with self._publishes_lock:
                size = min(self._chunk, len(self._publishes))
                jobs = [self._publishes.popleft() for _ in range(size)]
                if not jobs:
                    self._publishers -= 1
                    return
            live = []
            for job in jobs:  # read each flag once: the loop may set it
                if job.cancelled:
                    self._slots.release()
                else:
                    live.append(job)
            if live:
                self._deliver_all(live, self._publish_batch(live))

    def _publish_batch(self, jobs: list[_Publish]) -> list[Outcome]:
        try:
            self._fail_if_cooling_down()  # they may have waited meanwhile
        except BrokerUnavailable as exc:
            return [(None, exc)] * len(jobs)
        outcomes, resendable = self._send(jobs)
        error = outcomes[0][1]
        stale = error is not None and is_unavailable(error)
        if resendable and stale and not timed_out(error):
            # A pooled connection the broker closed (it restarted while
            # we were idle): nothing of the batch was sent, once more.
            outcomes, _ = self._send(jobs)
        return [self._failed(e) if e else (r, e) for r, e in outcomes]

    def _send(self, jobs: list[_Publish]) -> tuple[list[Outcome], bool]:
        """Publish ``jobs`` with one producer until its connection fails;
        the outcomes, and whether sending them again is safe (a producer
        used before, and nothing of the batch reached its socket)."""
        acquired, error = capture(self.broker.acquire)
        if error is not None:
            return [(None, error)] * len(jobs), False
        producer, reused = acquired
        outcomes: list[Outcome] = []
        tags: list[int] = []  # AMQP: each one's delivery tag (0: not sent)
        confirms: list[PipelinedConfirms | OneAtATime] = []

        def attempt_all() -> BaseException | None:
            """The connection's error if it failed, after which none is
            attempted."""
            batch = confirms[0] if confirms else None
            for job in jobs:
                sent = batch.sent if batch else 0
                outcomes.append(job.attempt(producer))
                if batch:
                    tags.append(batch.sent * (batch.sent > sent))
                error = outcomes[-1][1]
                if error is not None and is_unavailable(error):
                    return error
            return None

        def publish() -> BaseException | None:
            if not self.broker.amqp:
                with batched(producer, len(jobs)):
                    return attempt_all()
            confirms.append(self._confirms(producer.channel))
            with confirms[0]:
                error = attempt_all()
            return confirms[0].wait(self.timeout, tags, outcomes, error)

        broken, error = capture(publish)
        if error is not None:  # the batch failed: none is known sent
            broken = error
            outcomes[:] = [(r, e) if e else (None, error) for r, e in outcomes]
        outcomes += [(None, broken)] * (len(jobs) - len(outcomes))
        self.broker.release(producer, broken=broken is not None)
        written = bool(confirms) and confirms[0].written
        return outcomes, reused and not written

    def _deliver_all(self, jobs: list[_Publish], outcomes: list[Outcome]) -> None:
        for job, outcome in zip(jobs, outcomes, strict=True):
            self._slots.release()
            job.deliver(outcome)

    def _call(self, call: Callable[[], R]) -> Outcome:
        """Runs in a pool thread."""

        def checked() -> R:
            self._fail_if_cooling_down()  # the call may have waited
            return call()

        result, error = capture(checked)
        return (result, None) if error is None else self._failed(error)

    def _failed(self, exc: BaseException) -> Outcome:
        """The outcome of a call that raised ``exc``; starts the cooldown
        on an outage."""
        if nacked(exc):  # run_blocking on RabbitMQ: no cooldown, the broker is up
            return None, BrokerUnavailable(NACKED)
        if isinstance(exc, BrokerUnavailable) or not is_unavailable(exc):
            return None, exc
        self._failed_at, self._failure = time.monotonic(), exc
        maybe = f"; {AT_LEAST_ONCE}" if timed_out(exc) else ""
        unavailable = BrokerUnavailable(f"broker or result backend unavailable: {exc!r}{maybe}")
        unavailable.__cause__ = exc
        return None, unavailable

    def _finish(self, loop: asyncio.AbstractEventLoop, waiter: Any, outcome: Outcome) -> None:
        """In a pool thread: queue the outcome for its loop, waking the
        loop once per batch (not once per call: under load the loop would
        fight the pool for the GIL)."""
        with self._finished_lock:
            batch = self._finished.setdefault(loop, [])
            batch.append((waiter, outcome))
            if len(batch) > 1:
                return
        try:
            loop.call_soon_threadsafe(self._deliver, loop)
        except RuntimeError:  # the loop is closed: nobody is waiting
            self._deliver(loop, closed=True)

    def _deliver(self, loop: asyncio.AbstractEventLoop, closed: bool = False) -> None:
        with self._finished_lock:
            batch = self._finished.pop(loop, [])
        for waiter, outcome in batch:
            if not closed and not waiter.done():
                waiter.set_result(outcome)

    def _fail_if_cooling_down(self) -> None:
        ago = time.monotonic() - self._failed_at
        if ago < self._cooldown:
            raise BrokerUnavailable(
                f"broker or result backend unavailable ({ago:.2f} s ago, "
                f"not retried for {self._cooldown} s): {self._failure!r}"
            ) from self._failure

    def shutdown(self, wait: bool) -> None:
        self._executor.shutdown(wait=wait)
        self.broker.close()
        self.calls.close()


_lock = threading.Lock()


def dispatcher_for(app: Any) -> Dispatcher:
    """The app's dispatcher, created from its configuration on first use."""
    dispatcher: Dispatcher | None = app.__dict__.get("_async_dispatcher")
    if dispatcher is not None:
        return dispatcher
    with _lock:
        dispatcher = app.__dict__.get("_async_dispatcher")
        if dispatcher is None:
            setting = {k: app.conf.get(k, v) for k, v in DEFAULTS.items()}
            dispatcher = Dispatcher(app, setting)
            # Stops the threads when the app is garbage collected or at
            # exit. Never waits: this may run in a pool thread.
            weakref.finalize(app, dispatcher.shutdown, False)
            app._async_dispatcher = dispatcher
        return dispatcher


def own_dispatcher(app: Any) -> Dispatcher | None:
    """``app``'s dispatcher if this thread is one of its pool's."""
    dispatcher = getattr(_pool_thread, "dispatcher", None)
    if dispatcher is app.__dict__.get("_async_dispatcher"):
        return cast("Dispatcher | None", dispatcher)
    return None
