"""The pool's own broker connections and producers, with fail-fast options
(no retries, every socket operation bounded, confirms on RabbitMQ). Idle
producers are kept for reuse; a broken one is thrown away."""

from __future__ import annotations

import contextlib
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, cast

from .errors import is_unavailable, timed_out

__all__ = ["BrokerConnections", "batched"]


def batched(producer: Any, size: int) -> contextlib.AbstractContextManager[Any]:
    """kombu's ``Producer.batch`` (kombu 5.7+): on Redis one pipeline for
    what is published inside. One message, or an older kombu: as usual."""
    batch = getattr(producer, "batch", None)
    if size < 2 or batch is None:
        return contextlib.nullcontext()
    return cast(contextlib.AbstractContextManager[Any], batch(max_size=sys.maxsize))


def _declared_once(producer: Any) -> Callable[..., Any]:
    """``producer.maybe_declare`` without its work on every publish for
    a queue already declared on the connection: kombu binds a copy of the
    queue and its exchange to the channel each time, only to find it in
    ``declared_entities`` and throw the copy away."""
    declare = producer.maybe_declare

    def maybe_declare(entity: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            entity
            and entity.can_cache_declaration
            and producer.channel.connection is not None
            and hash(entity) in producer.connection.declared_entities
        ):
            return False
        return declare(entity, *args, **kwargs)

    return maybe_declare


class BrokerConnections:
    """Producers on connections of the pool's own. ``confirm``: on
    RabbitMQ, each publish waits for the broker's ack (kombu's public
    ``confirm_publish``)."""

    def __init__(self, app: Any, timeout: float, confirm: bool) -> None:
        # the app owns the pool, not the other way round
        self._app: Callable[[], Any] = weakref.ref(app)
        self._timeout = timeout
        self._confirm = confirm
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        driver = app.connection_for_write().transport.driver_type
        self.amqp = driver == "amqp"

    def connect(self) -> Any:
        """A new connection of the app's broker with fail-fast options
        (it connects on first use)."""
        app, t = self._app(), self._timeout
        options: dict[str, Any] = {"max_retries": 0}
        if self.amqp:
            # py-amqp ignores socket_timeout; without confirms a publish
            # only reaches the kernel's buffer, which is lost if the
            # broker stops answering.
            options.update(confirm_publish=self._confirm, read_timeout=t, write_timeout=t)
        else:
            options.update(socket_timeout=t, socket_connect_timeout=t)
        return app.connection_for_write(connect_timeout=t, transport_options=options)

    def acquire(self) -> tuple[Any, bool]:
        """A producer, and whether it was used before."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        producer = self._app().amqp.Producer(self.connect(), auto_declare=False)
        producer.maybe_declare = _declared_once(producer)
        producer.publish = self._resent_at_most_once(producer)
        return producer, False

    def _resent_at_most_once(self, producer: Any) -> Callable[..., Any]:
        """``producer.publish``, with the app's publish retries replaced by
        one immediate resend on a fresh connection, and only when the
        connection was found closed (the broker restarted while it was
        idle): retries with pauses would outlast the socket timeout many
        times over. A ``retry_policy`` the caller chose is kept, and so is
        ``retry=False``."""
        publish = producer.publish
        app_policy = self._app().conf.task_publish_retry_policy

        def publish_once(*args: Any, **kwargs: Any) -> Any:
            policy = kwargs.get("retry_policy")
            if not kwargs.get("retry") or (policy and policy != app_policy):
                return publish(*args, **kwargs)
            kwargs.update(retry=False, retry_policy=None)
            try:
                return publish(*args, **kwargs)
            except Exception as exc:
                if not is_unavailable(exc) or timed_out(exc):
                    raise
            with contextlib.suppress(Exception):
                producer.connection.collect()
            producer.revive(self.connect())
            return publish(*args, **kwargs)

        return publish_once

    def release(self, producer: Any, broken: bool) -> None:
        if broken:  # drop the socket without a closing handshake
            with contextlib.suppress(Exception):
                producer.connection.collect()
            return
        with self._lock:
            self._idle.append(producer)

    @contextlib.contextmanager
    def producer(self) -> Iterator[Any]:
        """For Celery calls made through ``run_blocking``."""
        producer, _ = self.acquire()
        try:
            yield producer
        except BaseException as exc:
            self.release(producer, broken=is_unavailable(exc))
            raise
        self.release(producer, broken=False)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for producer in idle:
            self.release(producer, broken=True)
