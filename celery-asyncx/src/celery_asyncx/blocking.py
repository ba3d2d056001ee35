"""``run_blocking`` and ``read_result``: any blocking Celery call, awaited
on its app's dispatch pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from celery import Celery, current_app

from . import waits
from .routing import pool_of
from .waits import routed

__all__ = ["app_of", "read_result", "run_blocking", "wait_result"]

P = ParamSpec("P")
R = TypeVar("R")


def _app(owner: Any) -> Any:
    """``owner`` if it is a Celery app, else its ``app`` if that is one."""
    for candidate in (owner, _attribute(owner, "app")):
        if isinstance(candidate, Celery):  # current_app too: a proxy
            unproxied = _attribute(candidate, "_get_current_object")
            return candidate if unproxied is None else unproxied()
    return None


def _attribute(owner: Any, name: str) -> Any:
    try:  # a property of anything passed in may raise anything
        return getattr(owner, name, None)
    except Exception:  # noqa: BLE001, RUF100 - not an app, then
        return None


def app_of(fn: Callable[..., Any], *args: Any) -> Any:
    """The app of a bound Celery call (``app.send_task`` itself, a result,
    task, control), of a canvas object called as it is
    (``run_blocking(group(...))``) or of the first argument
    (``run_blocking(getattr, result, "state")``), else the current app."""
    for owner in (getattr(fn, "__self__", fn), *args[:1]):
        app = _app(owner)
        if app is not None:
            return app
    return current_app._get_current_object()


async def run_blocking(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Await any blocking Celery call on its app's dispatch pool.

    ``await run_blocking(chain(a.s(), b.s()).apply_async)``,
    ``await run_blocking(res.get, timeout=5)``,
    ``await run_blocking(app.control.inspect().active)``. Same pool, cap
    and :class:`BrokerUnavailable` as :meth:`AsyncTask.delayx`, on any
    Celery app. A result wait (``res.get``/``res.wait``, a group's
    ``get``/``join``) holds no thread: see :func:`celery_asyncx.wait_result`.
    """
    pool = pool_of(app_of(fn, *args))
    wait = routed(fn, args, kwargs)
    if wait is not None:
        return cast(R, await wait)
    return await pool.run(fn, *args, **kwargs)


async def read_result(result: Any, attribute: str) -> Any:
    """Await a result property that queries the backend:
    ``await read_result(res, "state")``."""
    return await pool_of(result.app).run(getattr, result, attribute)


async def wait_result(result: Any, timeout: float | None = None, **options: Any) -> Any:
    """``result.get(timeout, **options)``, awaited without holding a thread,
    on any Celery app (see :mod:`celery_asyncx.waits`)."""
    pool_of(result.app)  # a plain app's pool threads get its fail-fast backend
    return await waits.wait_result(result, timeout, **options)
