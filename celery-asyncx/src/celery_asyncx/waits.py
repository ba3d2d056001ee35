"""Awaiting a task's result without holding a thread.

``await wait_result(res, timeout=5)`` (and ``await res.getx(...)``, and
``await run_blocking(res.get, ...)``, which comes here) behaves as ``res.get(...)``:
the value, the task's exception re-raised (or returned with ``propagate=False``), parents'
failures with ``follow_parents``, ``disable_sync_subtasks``, Celery's ``TimeoutError``, the
result cached on ``res``. While it waits no thread is held:

* Redis backend: the result's pub/sub channel (:mod:`celery_asyncx.pubsub`);
* other backends: the state is polled with backoff (from 20 ms up to ``interval``), one
  short pool call at a time per app and event loop for every wait that is due;
* ``rpc://`` (results are delivered to the thread that sent the task) and a disabled
  backend: ``get`` runs on the dispatch pool, as any other blocking call.

A wait that ends or is cancelled is forgotten at once; the keys nobody waits for are
unsubscribed within 0.1 s, and a subscriber with no wait left closes its connections (which
ends every subscription) after 2 s.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from celery import states
from celery.backends.asynchronous import AsyncBackendMixin
from celery.backends.base import DisabledBackend
from celery.backends.redis import RedisBackend, SentinelBackend
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import AsyncResult, ResultSet, assert_will_not_block

from .dispatcher import dispatcher_for
from .errors import BrokerUnavailable, is_unavailable
from .polling import Poller
from .pubsub import Subscriber, connection_params

__all__ = ["routed", "wait_result", "wait_results"]


class _Watch:
    """One wait's task ids: what a source finds for them arrives in ``queue`` as
    ``(result, meta)``, or an exception if the source failed."""

    def __init__(self, results: Iterable[AsyncResult]) -> None:
        self.results = {_key(result): result for result in results}
        self.keys: list[bytes] = list(self.results)
        self.queue: asyncio.Queue[tuple[AsyncResult, dict[str, Any] | None] | BaseException]
        self.queue = asyncio.Queue()
        self._unseen = set(self.keys)

    @property
    def primed(self) -> bool:
        """Every id's state has been read at least once since the wait began."""
        return not self._unseen

    def put(self, key: bytes, meta: dict[str, Any] | None) -> None:
        """What was read for ``key``. "Nothing stored yet" wakes the wait only the first
        time (it then knows the state was read): a poll finding a thousand results still
        pending must not wake a thousand waits."""
        if meta is None and key not in self._unseen:
            return
        self._unseen.discard(key)
        self.queue.put_nowait((self.results[key], meta))

    def deliver(self, key: bytes, value: bytes | None) -> None:
        """A stored or published value (Redis): decoded as the result's backend does."""
        try:
            meta = None if value is None else self.results[key].backend.decode_result(value)
        except Exception as exc:  # the wait raises it
            self.fail(exc)
            return
        self.put(key, meta)

    def fail(self, error: BaseException) -> None:
        self.queue.put_nowait(error)


def _key(result: AsyncResult) -> bytes:
    """The backend's key for ``result`` (a Redis channel), else its id."""
    key_for = getattr(result.backend, "get_key_for_task", None)
    return str(result.id).encode() if key_for is None else bytes(key_for(result.id))


_Source = Subscriber | Poller
_sources: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, _Source]] = (
    weakref.WeakKeyDictionary()
)


def _source(result: Any) -> _Source | None:
    """Where this loop's waits for ``result`` learn its state; None: they cannot without
    a thread (``rpc://``: results go to the sending thread; no backend)."""
    backend = result.backend
    if isinstance(backend, DisabledBackend):
        return None
    redis = _is_redis(backend)
    if isinstance(backend, AsyncBackendMixin) and not redis:  # rpc://
        return None
    params = connection_params(backend) if redis else None  # None: polled
    key: Any = ("redis", repr(sorted(params.items()))) if params else ("poll", result.app)
    sources = _sources.setdefault(asyncio.get_running_loop(), {})
    source = sources.get(key)
    if source is None:
        timeout = dispatcher_for(result.app).timeout
        source = Subscriber(params, timeout) if params else Poller(result.app)
        sources[key] = source
    return source


def _is_redis(backend: Any) -> bool:
    """Celery's Redis backend (not Sentinel, whose master can move: it is polled)."""
    return isinstance(backend, RedisBackend) and not isinstance(backend, SentinelBackend)


def active_sources() -> list[Any]:
    """This loop's subscribers and pollers that still hold a connection, a task or a wait
    (for tests: a finished or cancelled wait leaves none)."""
    sources = _sources.get(asyncio.get_running_loop(), {})
    return [source for source in sources.values() if source.active]


async def wait_result(
    result: AsyncResult,
    timeout: float | None = None,
    propagate: bool = True,
    interval: float = 0.5,
    no_ack: bool = True,
    follow_parents: bool = True,
    disable_sync_subtasks: bool = True,
) -> Any:
    """``result.get(...)`` without holding a thread while it waits (see the module)."""
    if result.ignored:
        return None
    if disable_sync_subtasks:
        assert_will_not_block()
    parents = list(result._parents()) if follow_parents and propagate else []
    if result._cache is None and not _failed(parents):
        source = _source(result)
        if source is None:
            return await dispatcher_for(result.app).run(
                result.get, timeout, propagate, interval, no_ack, follow_parents,
                disable_sync_subtasks=disable_sync_subtasks,
            )  # fmt: skip
        pending = [r for r in (*parents, result) if r._cache is None]
        await _until_ready(source, result, parents, pending, timeout, interval)
    for parent in reversed(parents):  # as get: the oldest failed ancestor's error
        if parent._cache is not None:
            parent.maybe_throw()
    return result.maybe_throw(propagate=propagate)


def _failed(results: Iterable[AsyncResult]) -> bool:
    return any(r._cache is not None and r._cache["status"] in states.PROPAGATE_STATES
               for r in results)  # fmt: skip


async def _until_ready(
    source: _Source,
    result: AsyncResult,
    parents: list[AsyncResult],
    pending: list[AsyncResult],
    timeout: float | None,
    interval: float,
) -> None:
    """Until ``result`` is ready or one of ``parents`` failed, caching what is ready."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    watch = _Watch(pending)
    if isinstance(source, Subscriber):
        source.add(watch)
    else:
        source.add(watch, interval)
    try:
        while result._cache is None and not _failed(parents):
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0 and watch.primed:
                raise CeleryTimeoutError("The operation timed out.")
            try:  # past the deadline: until every state was read once
                item = await asyncio.wait_for(watch.queue.get(), left if watch.primed else None)
            except asyncio.TimeoutError:
                continue
            if isinstance(item, BaseException):
                raise _unavailable(item)
            ready, meta = item
            if meta is not None and meta["status"] in states.READY_STATES:
                ready._maybe_set_cache(meta)
    finally:
        source.remove(watch)


def _unavailable(error: BaseException) -> BaseException:
    """A connection error or timeout as :class:`BrokerUnavailable`; others as they are."""
    if isinstance(error, BrokerUnavailable):
        return error
    if not (is_unavailable(error) or isinstance(error, TimeoutError | asyncio.TimeoutError)):
        return error
    unavailable = BrokerUnavailable(f"result backend unavailable: {error!r}")
    unavailable.__cause__ = error
    return unavailable


async def wait_results(
    results: ResultSet,
    timeout: float | None = None,
    propagate: bool = True,
    interval: float = 0.5,
    no_ack: bool = True,
    disable_sync_subtasks: bool = True,
) -> list[Any]:
    """``results.join(...)`` (a group's ``get``) without holding a thread: the values in
    order; with ``propagate``, the first failed one's error in that order."""
    if disable_sync_subtasks:
        assert_will_not_block()
    waits = [
        asyncio.ensure_future(_wait_any(r, timeout, propagate, interval)) for r in results.results
    ]
    try:
        return [await wait for wait in waits]
    finally:
        for wait in waits:
            wait.cancel()


def _wait_any(
    result: Any, timeout: float | None, propagate: bool, interval: float
) -> Coroutine[Any, Any, Any]:
    if isinstance(result, ResultSet):
        return wait_results(result, timeout, propagate, interval, disable_sync_subtasks=False)
    return wait_result(result, timeout, propagate, interval, disable_sync_subtasks=False)


_WAITS: dict[Any, Callable[..., Coroutine[Any, Any, Any]]] = {
    AsyncResult.get: wait_result,  # AsyncResult.wait is the same function
    ResultSet.get: wait_results,
    ResultSet.join: wait_results,
    ResultSet.join_native: wait_results,
}
_NOT_SUPPORTED = ("callback", "on_message", "on_interval")  # these run on the pool


def routed(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The thread-free wait for ``fn(*args, **kwargs)`` when ``fn`` is a result's bound
    ``get``/``wait`` or a result set's ``get``/``join``/``join_native`` (a coroutine);
    None for any other call, and for arguments only ``get`` itself handles."""
    wait = _WAITS.get(getattr(fn, "__func__", None))
    if wait is None:
        return None
    try:
        arguments = inspect.signature(fn).bind(*args, **kwargs).arguments
    except TypeError:  # get() raises it as it always did
        return None
    if any(arguments.get(name) is not None for name in _NOT_SUPPORTED):
        return None
    accepted = inspect.signature(wait).parameters
    if not set(arguments) <= set(accepted):  # EXCEPTION_STATES=...
        return None
    return wait(fn.__self__, **arguments)  # type: ignore[attr-defined]
