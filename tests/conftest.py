from __future__ import annotations

# --- Real servers (runtime e2e tests; see tests/servers.py) -----------------------------------
import fcntl
import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

if str(Path(__file__).parent) not in sys.path:  # `import servers` from any test module
    sys.path.insert(0, str(Path(__file__).parent))

from servers import ManagedProcess, RabbitMQServer, RedisServer

_Proc = TypeVar("_Proc", bound=ManagedProcess)
REPO = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that share a costly server run on one pytest-xdist worker (``--dist loadgroup``
    in pyproject.toml), so it starts once per run: the RabbitMQ node (seconds of CPU to
    boot), and a module's ``spawn_module`` servers (a Celery worker, uvicorn, Redis)."""
    for item in items:
        names = getattr(getattr(item, "_fixtureinfo", None), "names_closure", ())
        if "rabbitmq_node" in names:
            item.add_marker(pytest.mark.xdist_group("rabbitmq"))
        elif "spawn_module" in names:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than cores. A third of the suite's time is spent waiting
    (for a server to start, pause or time out, for a worker to run a task), and a spare worker
    keeps the cores busy meanwhile."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder common to every pytest-xdist worker of this test run, for what is made once
    per run (take a lock while making it)."""
    if worker_id == "master":  # not under xdist
        return tmp_path_factory.mktemp("run")
    return tmp_path_factory.getbasetemp().parent  # this run's base folder, above the workers'


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
            process.discard()


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
        node.discard()


@pytest.fixture
def rabbitmq(rabbitmq_node: RabbitMQServer) -> Iterator[RabbitMQServer]:
    """The session's RabbitMQ node, healthy, its default queue empty (before and after)."""
    rabbitmq_node.healthy()
    rabbitmq_node.purge(["celery"])
    yield rabbitmq_node
    rabbitmq_node.healthy()
    rabbitmq_node.purge(["celery"])


def write_runtime_project(directory: Path) -> Path:
    """Put ``runtime_app.py`` (FastAPI + Celery on the installed ``celery_asyncx``) in
    ``directory``."""
    shutil.copyfile(REPO / "tests" / "runtime_app.py", directory / "runtime_app.py")
    return directory


@pytest.fixture
def runtime_project(tmp_path: Path) -> Path:
    """A directory holding ``runtime_app.py`` (FastAPI + Celery on ``celery_asyncx``)."""
    return write_runtime_project(tmp_path)


# --- The distributions of this checkout ----------------------------------------------------------


@pytest.fixture(scope="session")
def dist(run_folder: Path) -> Path:
    """The sdist and the wheel of this checkout, built once per test run (the first worker
    to ask builds them, under a lock; the others wait and share them)."""
    from cel_support import ROOT, run, tool

    out = run_folder / "dist"
    with (run_folder / "dist.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (run_folder / "dist.built").exists():
            # uv makes build's isolated environments (the test extra has it): a second less
            result = run(tool("python"), "-m", "build", "--installer=uv", "--outdir", out, ROOT)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            (run_folder / "dist.built").touch()
    return out


# --- Running our tools as another user ----------------------------------------------------------

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _dependencies(name: str) -> set[str]:
    """The distributions ``name`` needs to run (no extras), ``name`` included."""
    from packaging.requirements import Requirement

    found, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        for line in importlib.metadata.requires(current) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def _copy_for_everyone(folder: Path) -> None:
    """Our packages and their dependencies, copied into ``folder`` (on sys.path there)."""
    ours = importlib.metadata.distribution("flake8-celery-async")
    for entry in ours.entry_points:
        top = entry.module.partition(".")[0]  # an editable install: copy the source folders
        source = Path(importlib.import_module(top).__file__ or "").parent
        shutil.copytree(source, folder / top, dirs_exist_ok=True, ignore=_NO_CACHE)
    for name in _dependencies("flake8-celery-async") - {"flake8-celery-async"}:
        dist = importlib.metadata.distribution(name)
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue  # console scripts, bytecode
            target = folder / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dist.locate_file(file), target)  # type: ignore[arg-type]


_NO_CACHE = shutil.ignore_patterns("__pycache__")


@pytest.fixture(scope="session")
def as_nobody() -> Iterator[Callable[[str], list[str]]]:
    """``as_nobody("celery-async-codemod")``: the command that runs one of our tools as the
    unprivileged user ``nobody`` (root reads and writes anything, so a test that needs a
    refusal drops to it), or the tool itself when we are not root.

    What nobody runs is prepared for it: the clone and its virtualenv may sit in a folder
    only their owner can open (``mktemp -d`` makes one, many home folders are one), so
    nobody gets a copy of our packages and their dependencies in a world-readable temporary
    folder, and the interpreter the virtualenv was made from. The clone's own folders are
    left as they are. Skips where that interpreter itself cannot run as nobody (pyenv's
    shared-library builds keep libpython under root's private home): the 3.11 suite runs
    these tests.
    """
    if os.geteuid() != 0:
        yield lambda name: [str(Path(sys.executable).parent / name)]
        return
    if shutil.which("setpriv") is None:  # pragma: no cover - util-linux is on every Debian
        pytest.skip("running as root without setpriv: cannot run a tool as another user")
    python = os.path.realpath(sys.executable)
    if subprocess.run([*NOBODY, python, "-c", "import ast"], capture_output=True).returncode:
        pytest.skip(f"{python} cannot run as nobody; the 3.11 suite covers this")
    folder = Path(tempfile.mkdtemp(prefix="for-nobody-"))
    try:
        folder.chmod(0o755)
        _copy_for_everyone(folder)
        scripts = importlib.metadata.entry_points(group="console_scripts")

        def command(name: str) -> list[str]:
            (entry,) = scripts.select(name=name)
            launch = (
                f"import sys; sys.path.insert(0, {str(folder)!r}); "
                f"from {entry.module} import {entry.attr}; sys.exit({entry.attr}())"
            )
            return [*NOBODY, python, "-s", "-E", "-B", "-c", launch]

        yield command
    finally:
        shutil.rmtree(folder)
