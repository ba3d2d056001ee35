"""The one exception callers see, and how the clients' errors are told apart."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from amqp.exceptions import MessageNacked
from kombu.exceptions import OperationalError

__all__ = [
    "AT_LEAST_ONCE",
    "NACKED",
    "BrokerUnavailable",
    "Outcome",
    "capture",
    "is_unavailable",
    "nacked",
    "timed_out",
]

NACKED = (
    "the broker refused the message (basic.nack: e.g. a full queue with "
    "overflow reject-publish); it was not queued"
)
AT_LEAST_ONCE = (
    "a call that timed out may still have been delivered (dispatch is "
    "at-least-once: pass your own task_id to let the task deduplicate)"
)


class BrokerUnavailable(OperationalError):
    """The broker or result backend is unavailable, or dispatch capacity
    is exhausted. The original error, if any, is ``__cause__``.

    A subclass of kombu's ``OperationalError``, so handlers written for
    the synchronous calls keep catching it.
    """


def _errors() -> tuple[tuple[type[BaseException], ...], ...]:
    """(connection errors, timeouts) of the installed clients."""
    errors: tuple[type[BaseException], ...] = (OperationalError, ConnectionError)
    timeouts: tuple[type[BaseException], ...] = (TimeoutError,)
    try:
        from redis import exceptions
    except ImportError:  # no Redis client installed: nothing of it leaks
        return errors, timeouts
    errors += (exceptions.ConnectionError, exceptions.TimeoutError)
    return errors, (*timeouts, exceptions.TimeoutError)


_CONNECTION_ERRORS, _TIMEOUTS = _errors()
# Raised *from* a connection error: the Redis result backend gives up
# reconnecting with a bare RuntimeError, and a kombu publish batch whose
# pipeline failed raises BatchPublishError (kombu 5.7+).
_WRAPPERS: tuple[type[BaseException], ...] = (RuntimeError,)
with contextlib.suppress(ImportError):
    from kombu.exceptions import BatchPublishError

    _WRAPPERS = (RuntimeError, BatchPublishError)


def nacked(exc: BaseException | None) -> bool:
    """True if the broker refused the message (``basic.nack``: py-amqp's
    ``MessageNacked``, as it is or wrapped by kombu)."""
    while exc is not None:
        if isinstance(exc, MessageNacked):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def is_unavailable(exc: BaseException) -> bool:
    """True for the errors meaning "broker or backend unreachable"."""
    if nacked(exc):  # the broker is up and said no
        return False
    if isinstance(exc, _CONNECTION_ERRORS):
        return True
    return type(exc) in _WRAPPERS and isinstance(exc.__cause__, _CONNECTION_ERRORS)


def timed_out(exc: BaseException | None) -> bool:
    """True if a timeout is ``exc`` or what caused it."""
    while exc is not None:
        if isinstance(exc, _TIMEOUTS) or "timed out" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# What a call in the pool came to: (result, None) or (None, its error).
# Not raising in the thread keeps the exception as it is.
Outcome = tuple[Any, BaseException | None]


def capture(call: Callable[[], Any]) -> Outcome:
    """The outcome of ``call()``, whatever it raises: a pool thread hands
    every outcome to the caller waiting for it."""
    try:
        return call(), None
    except Exception as exc:  # noqa: BLE001, RUF100 - raised by the caller
        return None, exc
