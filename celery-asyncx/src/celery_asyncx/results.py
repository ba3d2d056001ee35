"""Result backends that fail fast, and results that read through them."""

from __future__ import annotations

import asyncio
from typing import Any, cast

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
    if hasattr(backend, "binding"):  # rpc://: retries the declare forever

        def on_task_call(producer: Any, task_id: str) -> None:
            queue = backend.binding(producer.channel)
            cast(Any, maybe_declare)(queue, retry=True, max_retries=0)

        backend.on_task_call = on_task_call
    return backend


class LoopSafeResult(AsyncResult):  # type: ignore[misc]
    """The app's ``AsyncResult``.

    Without a backend of its own, it uses the backend of the thread that
    reads it, so reading it through the pool is fail-fast. When one is
    garbage collected on an event loop thread, its cleanup (the Redis
    backend unsubscribes, and reconnects if it must) runs in the pool, or
    is skipped if the pool refuses (Celery then unsubscribes when the
    result arrives).
    """

    def __init__(self, id: str, backend: Any = None, *a: Any, **k: Any):
        super().__init__(id, backend, *a, **k)
        # A task's AsyncResult passes the backend of the thread that made
        # it; only a backend other than the app's is the result's own.
        if backend is not None and backend is self.app.backend:
            backend = None
        self._backend = backend

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
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: blocking is fine
            super().__del__()
            return
        # __del__ runs wherever garbage is collected, even inside the
        # pool's own locks: hand the cleanup over from the next turn.
        app, cleanup = self.app, super().__del__
        loop.call_soon(lambda: dispatcher_for(app).run_soon(cleanup))
