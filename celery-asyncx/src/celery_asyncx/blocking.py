"""``run_blocking``: any blocking Celery call, awaited on its app's pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from celery import Celery, current_app

from .dispatcher import dispatcher_for
from .waits import routed

__all__ = ["app_of", "run_blocking"]

P = ParamSpec("P")
R = TypeVar("R")


def app_of(fn: Callable[..., Any]) -> Any:
    """The app of a bound Celery call (``app.send_task`` itself, a result,
    signature or control), else the current app."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, Celery):
        return owner
    app = getattr(owner, "app", None)
    if isinstance(app, Celery):
        return app
    return current_app._get_current_object()


async def run_blocking(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Await any blocking Celery call on its app's dispatch pool.

    ``await run_blocking(chain(a.s(), b.s()).apply_async)``,
    ``await run_blocking(res.get, timeout=5)``,
    ``await run_blocking(app.control.inspect().active)``. Same pool, cap
    and :class:`BrokerUnavailable` as :meth:`AsyncTask.delayx`. A result
    wait (``res.get``/``res.wait``, a group's ``get``/``join``) holds no
    thread: see :func:`celery_asyncx.waits.wait_result`.
    """
    wait = routed(fn, args, kwargs)  # a result's get/wait, a group's get/join
    if wait is not None:
        return cast(R, await wait)  # without holding a thread
    return await dispatcher_for(app_of(fn)).run(fn, *args, **kwargs)
