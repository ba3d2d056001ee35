"""What a call carries into a pool thread: Celery's running tasks.

(``contextvars`` go with it too, by ``contextvars.copy_context().run``.)
Celery keeps the running task on a thread-local stack and derives a
dispatch's ``parent_id`` and ``root_id`` from it, so a dispatch from inside
a task that crosses into the pool must find its parent there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from celery._state import _task_stack

__all__ = ["Tasks", "as_if_in", "running_tasks"]

R = TypeVar("R")
Tasks = list[tuple[Any, Any]]  # Celery's running tasks, with their requests


def running_tasks() -> Tasks:
    """The tasks running in this thread (Celery's thread-local stack)."""
    return [(t, t.request_stack.top) for t in list(_task_stack.stack)]


def as_if_in(tasks: Tasks, call: Callable[[], R]) -> R:
    """``call()`` with ``tasks`` running, as in the thread they came from."""
    if not tasks:
        return call()
    for task, request in tasks:
        _task_stack.push(task)
        task.request_stack.push(request)
    try:
        return call()
    finally:
        for task, _ in reversed(tasks):
            task.request_stack.pop()
            _task_stack.pop()
