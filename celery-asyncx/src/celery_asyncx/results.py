"""Result backends that fail fast, and results that read through them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
from typing import Any, cast

from celery.backends.asynchronous import AsyncBackendMixin
from celery.result import AsyncResult
from kombu.common import maybe_declare

from .dispatcher import dispatcher_for
from .waits import wait_result

__all__ = ["LoopSafeResult", "fail_fast_backend"]


def fail_fast_backend(app: Any, timeout: float) -> Any:
    """A result backend of the app's kind with bounded socket operations
    and no retry loops (configured as the app is, except for that)."""
    backend = app._get_backend()
    params = getattr(backend, "connparams", None)
    if isinstance(params, dict):  # Redis, Sentinel: 120 s, 20 retries
        params.update(socket_timeout=timeout, socket_connect_timeout=timeout)
        backend.__dict__["retry_policy"] = {**backend.retry_policy, "max_retries": 0}
        # Celery subscribes to each task's result as it is sent, for a get() in the sending
        # thread: a pool thread never waits there (waits use their own subscriber), so the
        # results would pile up unread on this connection. get() elsewhere subscribes then.
        backend.on_task_call = lambda producer, task_id: None
    if hasattr(backend, "binding"):  # rpc://: retries the declare forever

        def on_task_call(producer: Any, task_id: str) -> None:
            queue = backend.binding(producer.channel)
            cast(Any, maybe_declare)(queue, retry=True, max_retries=0)

        backend.on_task_call = on_task_call
    return backend


def _nothing_to_forget(backend: Any, task_id: str) -> bool:
    """True if ``backend`` holds nothing for this result: no wait registered
    with it and no subscription to it (a database backend never does; nor
    does the Redis backend when only this package's waits awaited it). Then
    a result going away costs no pool call: a thousand results dropped at
    once must not fill the pool that dispatch needs."""
    if not isinstance(backend, AsyncBackendMixin):  # Celery does nothing
        return True
    if any(task_id in mapping for mapping in backend._pending_results):
        return False
    subscribed = getattr(getattr(backend, "result_consumer", None), "subscribed_to", None)
    if subscribed is None:  # rpc://, or one we do not know: as Celery does
        return False
    return backend.get_key_for_task(task_id) not in subscribed


class LoopSafeResult(AsyncResult):  # type: ignore[misc]
    """The app's ``AsyncResult``.

    Without a backend of its own, it uses the backend of the thread that
    reads it, so reading it through the pool is fail-fast. When one is
    garbage collected on an event loop thread, its cleanup (the Redis
    backend unsubscribes, and reconnects if it must) runs in the pool, or
    is skipped if the pool refuses (Celery then unsubscribes when the
    result arrives). The cleanup never raises, and is skipped at
    interpreter exit (the connections close with the process).
    """

    def __init__(self, id: str, backend: Any = None, *a: Any, **k: Any):
        super().__init__(id, backend, *a, **k)
        # What Celery set: the backend passed, or this thread's. Its result
        # consumer is the one that may be subscribed to this result.
        home = self.__dict__["_backend"]
        self._home = home
        # A task's AsyncResult passes the backend of the thread that made
        # it; only a backend other than the app's is the result's own.
        self._backend = None if home is self.app.backend else home

    @property
    def backend(self) -> Any:
        return self.__dict__.get("_backend") or self.app.backend

    @backend.setter
    def backend(self, value: Any) -> None:
        self._backend = value

    async def getx(self, timeout: float | None = None, **options: Any) -> Any:
        """``get(timeout, ...)``, awaited without holding a thread: same
        arguments, value, exceptions and cache (see
        :func:`celery_asyncx.waits.wait_result`)."""
        return await wait_result(self, timeout, **options)

    def __del__(self) -> None:
        home = self.__dict__.get("_home")
        if home is None or sys.is_finalizing() or _nothing_to_forget(home, self.id):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: blocking is fine
            self._forget(home)
            return
        # __del__ runs wherever garbage is collected, even inside the
        # pool's own locks: hand the cleanup over from the next turn.
        app, forget = self.app, functools.partial(self._forget, home)
        loop.call_soon(lambda: dispatcher_for(app).run_soon(forget))

    def _forget(self, backend: Any) -> None:
        """What ``AsyncResult.__del__`` does, without raising: nothing is
        left to tell anyone if the backend cannot be reached."""
        with contextlib.suppress(Exception):
            backend.remove_pending_result(self)
