"""Fail-fast for every app: in its dispatch pool's threads an app uses the
pool's own producers, connections and result backends; everywhere else,
Celery's stock ones.

:class:`CeleryAsync` has this from its class. A plain ``Celery`` app gets
it on the first call awaited through ``run_blocking`` or ``read_result``:
its class becomes a subclass of its own class with :class:`PoolRouting`
mixed in (same name, same pickling), so synchronous callers, beat and
workers keep stock Celery.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from typing import Any

from .dispatcher import Dispatcher, dispatcher_for, own_dispatcher
from .results import LoopSafeResult, fail_fast_backend

__all__ = ["AMQPRouting", "PoolRouting", "pool_of"]


class PoolRouting:
    """Mixed into a Celery app class: what the app uses in its pool's threads."""

    @functools.cached_property
    def AsyncResult(self) -> Any:
        """This app's result class (Celery's hook): reads through the pool
        use the pool's backend."""
        return self.subclass_with_self(LoopSafeResult)  # type: ignore[attr-defined]

    @property
    def backend(self) -> Any:
        """Celery's backend; in the pool's threads, one of their own
        (Celery's are per thread) that fails fast."""
        dispatcher = own_dispatcher(self)
        if dispatcher is None:
            return super().backend  # type: ignore[misc]
        local = self._local  # type: ignore[attr-defined]
        backend = getattr(local, "async_backend", None)
        if backend is None:
            backend = local.async_backend = fail_fast_backend(self, dispatcher.timeout)
        return backend

    def connection_or_acquire(self, connection: Any = None, *args: Any, **kwargs: Any) -> Any:
        dispatcher = own_dispatcher(self)
        if connection is not None or dispatcher is None:
            return super().connection_or_acquire(  # type: ignore[misc]
                connection, *args, **kwargs
            )
        return _connection(dispatcher)


class AMQPRouting:
    """Mixed into the app's ``app.amqp``: its producer pool, which task
    dispatch and control calls publish through, is the dispatch pool's
    own in the pool's threads."""

    @property
    def producer_pool(self) -> Any:
        stock = super().producer_pool  # type: ignore[misc]
        dispatcher = own_dispatcher(self.app)  # type: ignore[attr-defined]
        return stock if dispatcher is None else _Producers(dispatcher, stock)


class _Producers:
    """Celery's producer pool, except that ``acquire()`` gives one of the
    dispatch pool's producers."""

    def __init__(self, dispatcher: Dispatcher, stock: Any) -> None:
        self._dispatcher, self._stock = dispatcher, stock

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        return self._dispatcher.calls.producer()

    def __getattr__(self, name: str) -> Any:  # e.g. .connections
        return getattr(self._stock, name)


@contextlib.contextmanager
def _connection(dispatcher: Dispatcher) -> Iterator[Any]:
    """A fail-fast connection of the pool's own (control calls)."""
    with dispatcher.calls.producer() as producer:
        yield producer.connection


_classes: dict[type[Any], type[Any]] = {}
_lock = threading.Lock()


def _routed(cls: type[Any], mixin: type[Any]) -> type[Any]:
    """``cls`` with ``mixin`` mixed in (one per class)."""
    routed = _classes.get(cls)
    if routed is None:

        def __reduce__(self: Any) -> Any:  # pickles as the app's own class
            reduced: Any = super(mixin, self).__reduce__()
            function, args, *rest = reduced
            args = tuple(cls if arg is routed else arg for arg in args)
            return (function, args, *rest)

        namespace = {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "__reduce__": __reduce__,
        }
        routed = _classes[cls] = type(cls.__name__, (mixin, cls), namespace)
    return routed


def pool_of(app: Any) -> Dispatcher:
    """The app's dispatcher; the app is routed through it first."""
    amqp = app.amqp
    if not isinstance(app, PoolRouting) or not isinstance(amqp, AMQPRouting):
        with _lock:
            if not isinstance(app, PoolRouting):
                app.__dict__.pop("AsyncResult", None)  # cached: Celery's own class
                app.__class__ = _routed(type(app), PoolRouting)
            if not isinstance(amqp, AMQPRouting):
                amqp.__class__ = _routed(type(amqp), AMQPRouting)
    return dispatcher_for(app)
