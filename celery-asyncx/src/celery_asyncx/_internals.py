"""Everything that touches private py-amqp internals, in one place.

Pipelined publisher confirms: a batch's messages go out in one write (up
to ``FLUSH_BYTES`` at a time), then their acks are awaited together,
instead of a write and a round trip per message. This needs py-amqp's
channel events, its transport's ``_write`` and its publish path; kombu
has no public way to do it.

:func:`pipelining_supported` checks that the installed py-amqp is one whose
internals this module knows. Where it is not, the caller uses the public
API instead (``confirm_publish``: one confirmed publish at a time) and
this module says so once in the log.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kombu.exceptions import OperationalError

from .errors import NACKED, BrokerUnavailable, Outcome, capture

__all__ = ["KNOWN_AMQP", "PipelinedConfirms", "pipelining_supported"]

logger = logging.getLogger("celery_asyncx")

KNOWN_AMQP = ((5, 1), (5, 99))  # py-amqp versions whose internals are known
_checked: list[bool] = []  # the answer, once found
_lock = threading.Lock()


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def _why_not() -> str | None:
    """What is not as this module knows it in the installed py-amqp."""
    try:
        import amqp
        from amqp import transport
    except ImportError as exc:
        return f"py-amqp is not importable ({exc})"
    version = _version(getattr(amqp, "__version__", "0"))
    if not KNOWN_AMQP[0] <= version <= KNOWN_AMQP[1]:
        return f"py-amqp {amqp.__version__} is not a version it knows (5.x)"
    needed = {
        amqp.Channel: ("_basic_publish", "confirm_select", "_on_basic_ack", "_on_basic_nack"),
        amqp.Connection: ("drain_events",),
        transport._AbstractTransport: ("_write",),
    }
    for owner, names in needed.items():
        for name in names:
            if not callable(getattr(owner, name, None)):
                return f"py-amqp {amqp.__version__} has no {owner.__name__}.{name}"
    if "timeout" not in inspect.signature(amqp.Connection.drain_events).parameters:
        return "py-amqp's Connection.drain_events takes no timeout"
    try:
        source = inspect.getsource(amqp.Channel._on_basic_ack)
    except (OSError, TypeError):  # installed without sources: trust the rest
        return None
    if "self.events" not in source:
        return "py-amqp's basic.ack handler does not call channel.events"
    return None


def pipelining_supported() -> bool:
    """Whether the installed py-amqp's internals are the ones this module
    knows (checked once; the first "no" is logged)."""
    with _lock:
        if not _checked:
            reason = _why_not()
            if reason is not None:
                logger.warning(
                    "celery_asyncx: %s; RabbitMQ publishes are confirmed one at "
                    "a time (public API) instead of pipelined",
                    reason,
                )
            _checked.append(reason is None)
        return _checked[0]


def forget_check() -> None:
    """Check again on next use (for tests that change what is installed)."""
    with _lock:
        _checked.clear()


class PipelinedConfirms:
    """Publisher confirms for a batch on one py-amqp channel, pipelined.
    Use as a context manager around the batch's publishes; ``wait`` at
    the end."""

    FLUSH_BYTES = 1 << 14

    def __init__(self, channel: Any) -> None:
        if not channel.__dict__.get("_async_confirms"):
            _, error = capture(channel.confirm_select)  # numbered from now on
            if error is not None:
                raise OperationalError(f"confirm.select: {error!r}") from error
            channel._async_confirms, channel._async_sent = True, 0
            publish = channel.basic_publish

            def counted(*args: Any, **kwargs: Any) -> Any:
                batch = channel._async_batch
                batch.publishing = True  # its frames go to the buffer
                try:
                    result = publish(*args, **kwargs)
                finally:
                    batch.publishing = False
                channel._async_sent += 1
                return result

            channel.basic_publish = counted
        channel._async_batch = self
        self.channel = channel
        self._upto = channel._async_sent  # acked: tags up to this, and
        self._acked: set[int] = set()  # these
        self._nacked: set[int] = set()
        channel.events["basic_ack"] = {self._on_ack}
        channel.events["basic_nack"] = {self._on_nack}
        self._transport = channel.connection.transport
        self._write: Callable[[Any], None] = self._transport._write
        self._buffer: list[bytes] = []
        self._buffered = 0
        self.publishing = False
        self.written = False  # some of the batch went to the socket

    def __enter__(self) -> None:
        self._transport._write = self._buffer_or_write
        self._connection = self.channel.connection
        drain = self._connection.drain_events
        polled: list[bool] = []

        def poll_once(timeout: float | None = None) -> Any:
            """py-amqp polls the socket before each publish (for a
            connection.blocked notice). The batch's first poll finds a
            connection the broker closed before anything is sent; the
            others would only read acks that ``wait`` reads anyway."""
            if timeout == 0 and polled:
                return None
            polled.append(True)
            return drain(timeout=timeout)

        self._connection.drain_events = poll_once

    def __exit__(self, *exc_info: object) -> None:
        self._transport._write = self._write
        self._connection.__dict__.pop("drain_events", None)
        if exc_info[0] is None:
            self.flush()

    def _buffer_or_write(self, data: Any) -> None:
        """The transport's write while the batch is published: a publish's
        frames are kept (py-amqp reuses the buffer they are in); anything
        else (a queue declare) goes out after what was kept, in order."""
        if not self.publishing:
            self.flush()
            self._write(data)
            return
        self._buffer.append(bytes(data))
        self._buffered += len(data)
        if self._buffered >= self.FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self.written = True
        try:
            self._write(data)
        except OSError as exc:  # py-amqp's own write would say this
            self._transport.connected = False
            raise OperationalError(f"basic_publish: {exc!r}") from exc

    @property
    def sent(self) -> int:
        return int(self.channel._async_sent)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._upto = max(self._upto, tag)
        else:
            self._acked.add(tag)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        first = self._upto + 1 if multiple else tag
        self._nacked.update(range(first, tag + 1))
        self._on_ack(tag, multiple)

    def _settled(self, tag: int) -> bool:
        return tag <= self._upto or tag in self._acked

    def wait(
        self,
        timeout: float,
        tags: list[int],
        outcomes: list[Outcome],
        error: BaseException | None,
    ) -> BaseException | None:
        """Wait up to ``timeout`` for the acks of ``tags`` (0: nothing
        sent), unless ``error`` (the connection failed) already says they
        will not come; fail the outcomes of the unconfirmed and the
        nacked. The error if the broker did not confirm them all."""
        deadline = time.monotonic() + timeout

        def drain() -> None:
            while not all(self._settled(tag) for tag in tags if tag):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("timed out")
                self.channel.connection.drain_events(timeout=left)

        if error is None:
            _, failure = capture(drain)
            if failure is not None:
                error = OperationalError(f"no confirm: {failure!r}")
                error.__cause__ = failure
        for n, tag in enumerate(tags):
            if tag and not self._settled(tag):
                outcomes[n] = (None, error)
            elif tag in self._nacked:
                outcomes[n] = (None, BrokerUnavailable(NACKED))
        return error
