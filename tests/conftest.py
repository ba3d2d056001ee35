from __future__ import annotations

# --- Real servers (runtime e2e tests; see tests/servers.py) -----------------------------------
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

if str(Path(__file__).parent) not in sys.path:  # `import servers` from any test module
    sys.path.insert(0, str(Path(__file__).parent))

from servers import ManagedProcess, RabbitMQServer, RedisServer

_Proc = TypeVar("_Proc", bound=ManagedProcess)
REPO = Path(__file__).resolve().parent.parent


def _spawner() -> Iterator[Callable[[_Proc], _Proc]]:
    started: list[ManagedProcess] = []

    def spawn(process: _Proc) -> _Proc:
        started.append(process)  # before start(): a half-started process is stopped too
        process.start()
        return process

    try:
        yield spawn
    finally:
        for process in reversed(started):
            process.stop()


@pytest.fixture
def spawn() -> Iterator[Callable[[_Proc], _Proc]]:
    """Start a ``tests.servers`` process now, stop its process group after the test.

    ``worker = spawn(CeleryWorker("app:celery_app", cwd=project, env={...}))``
    """
    yield from _spawner()


@pytest.fixture(scope="module")
def spawn_module() -> Iterator[Callable[[_Proc], _Proc]]:
    """``spawn`` for servers shared by a whole test module."""
    yield from _spawner()


@pytest.fixture
def redis_server(spawn: Callable[[RedisServer], RedisServer]) -> RedisServer:
    """A fresh, empty redis-server of this test's own: pause(), resume(), kill(), restart()."""
    return spawn(RedisServer())


@pytest.fixture(scope="session")
def rabbitmq_node() -> Iterator[RabbitMQServer]:
    """One RabbitMQ node per test session (per xdist worker): a node takes seconds to start.
    Installs Debian's rabbitmq-server first if it is missing and we are root, else fails."""
    node = RabbitMQServer()
    try:
        node.start()
        yield node
    finally:
        node.stop()


@pytest.fixture
def rabbitmq(rabbitmq_node: RabbitMQServer) -> Iterator[RabbitMQServer]:
    """The session's RabbitMQ node, healthy, its default queue empty (before and after)."""
    rabbitmq_node.healthy()
    rabbitmq_node.purge(["celery"])
    yield rabbitmq_node
    rabbitmq_node.healthy()
    rabbitmq_node.purge(["celery"])


def copy_runtime(directory: Path) -> Path:
    """Put the codemod's runtime module into ``directory`` as ``celery_async.py``, as the
    codemod does (its own tests; the runtime's tests import the installed ``celery_asyncx``)."""
    target = directory / "celery_async.py"
    shutil.copyfile(REPO / "codemod" / "celery_async.py", target)
    return target


def write_runtime_project(directory: Path) -> Path:
    """Put ``runtime_app.py`` (FastAPI + Celery on the installed ``celery_asyncx``) in
    ``directory``."""
    shutil.copyfile(REPO / "tests" / "runtime_app.py", directory / "runtime_app.py")
    return directory


@pytest.fixture
def runtime_project(tmp_path: Path) -> Path:
    """A directory holding ``runtime_app.py`` (FastAPI + Celery on ``celery_asyncx``)."""
    return write_runtime_project(tmp_path)
