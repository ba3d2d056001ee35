"""Waiting for results on backends without a channel to listen on: their state is polled.

A :class:`Poller` serves every wait of one app on one event loop. It reads the state of every
wait that is due in one call on the app's dispatch pool (one call at a time, so polling never
takes more than one pool thread), then backs off: 20 ms, doubling up to the wait's
``interval`` (``get``'s, 0.5 s by default). Where the backend can, that call is one round
trip for all of them: a multi-key read on key-value backends (``mget``), one query for which
tasks are ready on the database backend; elsewhere one ``get_task_meta`` per task. Values are
decoded by the backend itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any, Protocol

from celery import states
from celery.backends.base import BaseKeyValueStoreBackend

from .dispatcher import dispatcher_for

__all__ = ["Polled", "Poller", "fetch"]

FIRST_POLL = 0.02  # seconds until the second poll; doubling up to ``interval``
POLL_BATCH = 500  # most task ids one poll call reads


class Polled(Protocol):
    """What a :class:`Poller` tells a wait about its results."""

    @property
    def results(self) -> Mapping[bytes, Any]:
        """Its ``AsyncResult`` objects by key."""

    def put(self, key: bytes, meta: dict[str, Any] | None) -> None:
        """The state read for ``key`` (None: nothing stored yet)."""

    def fail(self, error: BaseException) -> None:
        """Reading failed."""


class Poller:
    """Polls one app's result backend for the waits of one event loop: every wait that is
    due, in one call on the app's dispatch pool, one call at a time."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._due: dict[Polled, list[float]] = {}  # watch -> [when, interval, most]
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @property
    def active(self) -> bool:
        return bool(self._due or self._task)

    def add(self, watch: Polled, interval: float) -> None:
        loop = asyncio.get_running_loop()
        self._due[watch] = [loop.time(), FIRST_POLL, max(interval, FIRST_POLL)]
        self._wake.set()
        if self._task is None:
            self._task = loop.create_task(self._run())

    def remove(self, watch: Polled) -> None:
        self._due.pop(watch, None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._due:
                now = loop.time()
                due = [w for w, (when, _, _) in self._due.items() if when <= now]
                if not due:
                    self._wake.clear()
                    soonest = min(when for when, _, _ in self._due.values())
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), soonest - now)
                    continue
                await self._poll(due[:POLL_BATCH])
        finally:
            self._task = None

    async def _poll(self, watches: list[Polled]) -> None:
        ids = list({r.id: None for w in watches for r in w.results.values()})
        try:
            metas = await dispatcher_for(self._app).run(fetch, self._app, ids)
        except Exception as exc:  # each wait raises it
            for watch in watches:
                watch.fail(exc)
            return
        now = asyncio.get_running_loop().time()
        for watch in watches:
            schedule = self._due.get(watch)
            if schedule is None:
                continue
            for key, result in watch.results.items():
                watch.put(key, metas.get(result.id))
            schedule[0] = now + schedule[1]
            schedule[1] = min(schedule[1] * 2, schedule[2])


def fetch(app: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """In a pool thread (where the app's backend is fail-fast): the state of each of
    ``ids`` that has one worth reporting (tasks missing from the answer are pending)."""
    backend = app.backend
    if isinstance(backend, BaseKeyValueStoreBackend):
        values = backend.mget([backend.get_key_for_task(task_id) for task_id in ids])
        return {i: backend.decode_result(v) for i, v in zip(ids, values, strict=True) if v}
    ready = _ready_in_database(backend, ids)
    metas = {i: backend.get_task_meta(i) for i in (ids if ready is None else ready)}
    return {i: meta for i, meta in metas.items() if meta["status"] != states.PENDING}


def _ready_in_database(backend: Any, ids: list[str]) -> list[str] | None:
    """Which of ``ids`` are ready, in one query (Celery's database backend); None for any
    other backend."""
    try:
        from celery.backends.database import DatabaseBackend, session_cleanup
    except ImportError:  # no SQLAlchemy
        return None
    if not isinstance(backend, DatabaseBackend):
        return None
    task = backend.task_cls
    session = backend.ResultSession()
    with session_cleanup(session):
        query = session.query(task.task_id).filter(
            task.task_id.in_(ids), task.status.in_(states.READY_STATES)
        )
        return [row[0] for row in query]
