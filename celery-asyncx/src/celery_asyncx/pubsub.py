"""Waiting for results on the Redis backend's pub/sub channels, without a thread.

Celery's Redis backend stores a result with ``SET key value`` and, in the same pipeline,
``PUBLISH key value``. A :class:`Subscriber` holds one subscriber connection per event loop
and backend (``redis.asyncio``, which redis-py ships), subscribes to the keys of every
waiting task on it, and reads each key once its subscription is confirmed, so a result
stored before that is not missed. Commands are coalesced: many waits starting together
cost one ``SUBSCRIBE`` and one ``MGET``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Iterable
from typing import Any, Protocol

from redis.asyncio import connection as aio_connection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

__all__ = ["Subscriber", "Watcher", "connection_params"]

LINGER = 2.0  # seconds an idle subscriber keeps its connections for the next wait
TIDY = 0.1  # seconds until keys no wait needs any more are unsubscribed
HEALTH = 5.0  # seconds between PINGs while waits are pending: a silent server fails them
_PARAMS = ("host", "port", "db", "username", "password", "path", "credential_provider")


class Watcher(Protocol):
    """What a :class:`Subscriber` tells a wait about its keys."""

    @property
    def keys(self) -> Iterable[bytes]:
        """The Redis keys (channels) it waits on."""

    def deliver(self, key: bytes, value: bytes | None) -> None:
        """The stored value of ``key`` (None: nothing stored yet), or a published one."""

    def fail(self, error: BaseException) -> None:
        """The connection failed: no more values will come."""


def connection_params(backend: Any) -> dict[str, Any] | None:
    """Keyword arguments for a ``redis.asyncio`` connection to ``backend`` (Celery's
    ``RedisBackend``), or None if it has no asyncio twin (a custom connection class)."""
    params: dict[str, Any] = getattr(backend, "connparams", None) or {}
    cls = params.get("connection_class")
    name = cls.__name__ if cls is not None else "Connection"
    async_cls = getattr(aio_connection, name, None)
    if async_cls is None or not isinstance(params.get("db", 0), int):
        return None
    kept = {k: v for k, v in params.items() if k in _PARAMS or k.startswith("ssl_")}
    return {"connection_class": async_cls, **kept}


class Subscriber:
    """One subscriber connection and one command connection to a Redis server, on one
    event loop, shared by every wait on it."""

    def __init__(self, params: dict[str, Any], timeout: float) -> None:
        self._params = dict(params)
        self._timeout = timeout  # the TCP connect
        # connecting, a command's reply, a subscription's confirmation: a busy event loop
        # may read a reply late, which must not count as an outage
        self._reply_timeout = max(4 * timeout, 1.0)
        self._watchers: dict[bytes, set[Watcher]] = {}
        self._sent: set[bytes] = set()  # the last command sent for these was SUBSCRIBE
        self._unconfirmed: collections.Counter[bytes] = collections.Counter()
        self._to_subscribe: set[bytes] = set()
        self._to_unsubscribe: set[bytes] = set()
        self._to_read: set[bytes] = set()
        self._listener: Any = None  # the subscriber connection
        self._commands: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._health: asyncio.TimerHandle | None = None
        self._ping_due = False
        self._pinged = self._ponged = 0  # PINGs sent, replies read, on this connection

    @property
    def active(self) -> bool:
        """Connected or waited on (for tests: nothing is left once this is False)."""
        return bool(
            self._watchers or self._listener or self._reader or self._flushing or self._reading
        )

    def add(self, watcher: Watcher) -> None:
        """Start delivering ``watcher``'s keys: their stored values, then what is published."""
        self._cancel_idle()
        for key in watcher.keys:
            watchers = self._watchers.setdefault(key, set())
            watchers.add(watcher)
            if len(watchers) > 1 or key in self._to_unsubscribe:
                self._to_unsubscribe.discard(key)
                if key in self._sent and not self._unconfirmed[key]:
                    self._to_read.add(key)  # subscribed already: read what is stored
            else:
                self._to_subscribe.add(key)
        self._schedule(flush=True)

    def remove(self, watcher: Watcher) -> None:
        """Stop delivering to ``watcher``. Keys nobody waits for any more are unsubscribed
        shortly (or, when no wait is left, by closing the connection after ``LINGER``),
        from a timer: this runs when a wait ends, also while the event loop shuts down,
        when a task started now would be destroyed pending."""
        for key in watcher.keys:
            watchers = self._watchers.get(key)
            if watchers is None:
                continue
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[key]
                self._to_subscribe.discard(key)
                self._to_read.discard(key)
                if key in self._sent:
                    self._to_unsubscribe.add(key)
        if self._idle is None:
            delay = TIDY if self._watchers else LINGER
            self._idle = asyncio.get_running_loop().call_later(delay, self._tidy)

    def _schedule(self, flush: bool = False) -> None:
        loop = asyncio.get_running_loop()
        pending = self._to_subscribe or self._to_unsubscribe or self._ping_due
        if flush and self._flushing is None and pending:
            self._flushing = loop.create_task(self._flush())
        if self._reading is None and self._to_read:
            self._reading = loop.create_task(self._read_stored())

    def _tidy(self) -> None:
        self._idle = None
        if self._watchers:
            self._schedule(flush=True)
        elif self._flushing is None and self._reading is None:
            self._sent.clear()
            self._unconfirmed.clear()
            self._to_unsubscribe.clear()
            self._drop_connections()
        else:  # busy: look again later
            self._idle = asyncio.get_running_loop().call_later(TIDY, self._tidy)

    async def _connect(self) -> Any:
        """A new connection, fail-fast (no retries; connecting and its handshake bounded)."""
        cls = self._params["connection_class"]
        params = {k: v for k, v in self._params.items() if k != "connection_class"}
        options: dict[str, Any] = {"socket_timeout": None, "socket_connect_timeout": self._timeout}
        options.update(params, retry=Retry(NoBackoff(), 0))
        try:  # RESP2: RESP3 (redis-py 8's default) delivers messages as pushes
            connection = cls(**options, protocol=2)
        except TypeError:  # redis-py before 5 speaks only RESP2
            connection = cls(**options)
        try:  # bounded as a reply is: the socket's own timeout bounds only the TCP connect
            await asyncio.wait_for(connection.connect(), self._reply_timeout)
        except BaseException:
            _close_now(connection)
            raise
        return connection

    async def _flush(self) -> None:
        """Send the subscriptions and unsubscriptions that wait (in one command each)."""
        listener = None
        try:
            while self._to_subscribe or self._to_unsubscribe or self._ping_due:
                if self._listener is None:
                    self._listener = await self._connect()
                    self._reader = asyncio.get_running_loop().create_task(
                        self._listen(self._listener)
                    )
                    self._health = asyncio.get_running_loop().call_later(HEALTH, self._ping)
                listener = self._listener
                subscribe, self._to_subscribe = self._to_subscribe, set()
                unsubscribe, self._to_unsubscribe = self._to_unsubscribe, set()
                if unsubscribe:
                    self._sent -= unsubscribe
                    await listener.send_command("UNSUBSCRIBE", *unsubscribe, check_health=False)
                if subscribe:
                    self._sent |= subscribe
                    self._unconfirmed.update(subscribe)
                    await listener.send_command("SUBSCRIBE", *subscribe, check_health=False)
                    asyncio.get_running_loop().call_later(
                        self._reply_timeout, self._check_confirmed, listener, subscribe
                    )
                if self._ping_due:
                    self._ping_due = False
                    self._pinged += 1
                    await listener.send_command("PING", check_health=False)
                    asyncio.get_running_loop().call_later(
                        self._reply_timeout, self._check_pong, listener, self._pinged
                    )
        except Exception as exc:
            self._broken(exc, listener)
        finally:
            self._flushing = None
            self._schedule()
            if not self._watchers and self._idle is None:
                self._idle = asyncio.get_running_loop().call_later(LINGER, self._tidy)

    def _check_confirmed(self, listener: Any, keys: set[bytes]) -> None:
        if listener is self._listener and any(self._unconfirmed[key] for key in keys):
            self._broken(TimeoutError(f"no reply to SUBSCRIBE in {self._reply_timeout} s"))

    def _ping(self) -> None:
        """Every ``HEALTH`` seconds: is the server still answering?"""
        self._health = None
        if self._listener is not None and self._watchers:
            self._ping_due = True
            self._schedule(flush=True)
        if self._listener is not None:
            self._health = asyncio.get_running_loop().call_later(HEALTH, self._ping)

    def _check_pong(self, listener: Any, pinged: int) -> None:
        if listener is self._listener and self._ponged < pinged:
            self._broken(TimeoutError(f"no reply to PING in {self._reply_timeout} s"))

    async def _listen(self, listener: Any) -> None:
        """Read the subscriber connection until it fails or is closed."""
        try:
            while True:
                reply = await listener.read_response()
                if reply[0] == b"pong":  # a subscribed connection's PING reply
                    self._ponged += 1
                    continue
                kind, key, data = reply
                if kind == b"message":
                    for watcher in list(self._watchers.get(key, ())):
                        watcher.deliver(key, data)
                elif kind == b"subscribe" and self._unconfirmed[key]:
                    self._unconfirmed[key] -= 1
                    if not self._unconfirmed[key]:
                        del self._unconfirmed[key]
                        if key in self._sent and key in self._watchers:
                            self._to_read.add(key)
                            self._schedule()
        except Exception as exc:
            self._broken(exc, listener)
        finally:
            if self._reader is asyncio.current_task():  # cancelled by the loop's shutdown
                self._reader = None
                self._drop_connections()

    async def _read_stored(self) -> None:
        """``MGET`` the keys whose subscriptions are confirmed, for their watchers."""
        commands = None
        try:
            while self._to_read:
                keys, self._to_read = list(self._to_read), set()
                commands = None  # an error connecting is the current connection's
                if self._commands is None:
                    self._commands = await self._connect()
                commands = self._commands
                values = await asyncio.wait_for(_mget(commands, keys), self._reply_timeout)
                for key, value in zip(keys, values, strict=True):
                    for watcher in list(self._watchers.get(key, ())):
                        watcher.deliver(key, value)
        except Exception as exc:
            self._broken(exc, commands)
        finally:
            self._reading = None

    def _broken(self, error: BaseException, connection: Any = None) -> None:
        """The server is unreachable: fail every wait, drop both connections. Unless the
        error came from a ``connection`` dropped already (then it was dealt with)."""
        if connection is not None and connection not in (self._listener, self._commands):
            return
        watchers = {w for ws in self._watchers.values() for w in ws}
        self._watchers.clear()
        self._sent.clear()
        self._unconfirmed.clear()
        self._to_subscribe.clear()
        self._to_unsubscribe.clear()
        self._to_read.clear()
        self._drop_connections()
        for watcher in watchers:
            watcher.fail(error)

    def _drop_connections(self) -> None:
        listener, self._listener = self._listener, None
        commands, self._commands = self._commands, None
        reader, self._reader = self._reader, None
        if self._health is not None:
            self._health.cancel()
            self._health = None
        self._ping_due = False
        self._pinged = self._ponged = 0
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
        for connection in (listener, commands):
            if connection is not None:
                _close_now(connection)

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None


async def _mget(connection: Any, keys: list[bytes]) -> list[bytes | None]:
    await connection.send_command("MGET", *keys, check_health=False)
    values: list[bytes | None] = await connection.read_response()
    return values


def _close_now(connection: Any) -> None:
    """Close a connection's socket without waiting: what redis-py does when one is
    garbage collected (its ``disconnect`` is a coroutine, the writer's ``close`` is not)."""
    writer = getattr(connection, "_writer", None)
    with contextlib.suppress(Exception):
        if writer is not None:
            writer.close()
    with contextlib.suppress(Exception):
        connection._reader = connection._writer = None
