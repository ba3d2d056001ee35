"""The app and task classes: :class:`CeleryAsync`, :class:`AsyncTask`, and
the reference article's :func:`create_celery_app`."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task

from .routing import PoolRouting, pool_of

__all__ = ["AsyncTask", "CeleryAsync", "create_celery_app"]


class AsyncTask(Task):  # type: ignore[misc]
    """Task base class with awaitable ``delayx`` and ``apply_asyncx``.

    For custom task bases: ``class MyTask(AsyncTask)``.
    """

    async def apply_asyncx(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        **options: Any,
    ) -> Any:
        """``apply_async(args, kwargs, **options)`` off the event loop."""
        dispatcher = pool_of(self.app)
        return await dispatcher.publish(self.apply_async, args, kwargs, **options)

    async def delayx(self, *args: Any, **kwargs: Any) -> Any:
        """``delay(*args, **kwargs)`` off the event loop."""
        return await self.apply_asyncx(args, kwargs)


class CeleryAsync(PoolRouting, Celery):  # type: ignore[misc]
    """A Celery app whose tasks are :class:`AsyncTask` unless ``task_cls``
    says otherwise, with ``send_taskx``. In its pool's threads it uses
    the pool's fail-fast producers and result backends."""

    task_cls = AsyncTask

    async def send_taskx(self, *args: Any, **kwargs: Any) -> Any:
        """``send_task(*args, **kwargs)`` off the event loop."""
        return await pool_of(self).publish(self.send_task, *args, **kwargs)

    def close(self) -> None:
        """Close the app and stop its dispatch threads (waiting for
        running calls)."""
        super().close()
        dispatcher = self.__dict__.pop("_async_dispatcher", None)
        if dispatcher is not None:
            dispatcher.shutdown(wait=True)


def create_celery_app(
    broker_url: str, backend_url: str | None = None, **celery_kwargs: Any
) -> CeleryAsync:
    """A :class:`CeleryAsync` app named ``tasks``. Without ``backend_url``
    a Redis broker (``redis``, ``rediss``, ``sentinel``) is the result
    backend too; any other broker gets none (Celery 5 has no ``amqp://``
    result backend)."""
    celery_kwargs.setdefault("main", "tasks")
    scheme = broker_url.partition("://")[0].lower()
    if backend_url is None and scheme in ("redis", "rediss", "sentinel"):
        backend_url = broker_url
        options = celery_kwargs.get("broker_transport_options") or {}
        if scheme == "sentinel" and "master_name" in options:
            celery_kwargs.setdefault(
                "result_backend_transport_options",
                {"master_name": options["master_name"]},
            )
    return CeleryAsync(broker=broker_url, backend=backend_url, **celery_kwargs)
