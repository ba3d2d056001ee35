"""The findings caches, through real flake8 and the real CLI: what a second run reports comes
from the cache, an edited file or an edited helper in another module is checked again, and
every one of flake8's worker processes adds what it found."""

from __future__ import annotations

import marshal
import os
import subprocess
from pathlib import Path

from cel_support import tool

FILES = 24  # enough that flake8's two workers each get some (it deals them out one by one)
TASKS = (
    "from celery import Celery\n\napp = Celery('proj')\n\n\n@app.task\ndef index(n):\n"
    "    return n\n"
)
SERVICES = "from tasks import index\n\n\ndef enqueue(n):\n    index.delay(n)\n"
API = "from services import enqueue\n\n\nasync def endpoint_{i}(n):\n    enqueue(n)\n"


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\nversion = '0'\n")
    (root / "tasks.py").write_text(TASKS)
    (root / "services.py").write_text(SERVICES)
    for i in range(FILES):
        (root / f"api_{i}.py").write_text(API.format(i=i))
    return root


def _flake8(root: Path, *args: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "CELERY_ASYNC_CACHE_DIR"}
    result = subprocess.run(
        [tool("flake8"), "--isolated", "--select", "CEL", *args, "."],
        cwd=root, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return sorted(result.stdout.splitlines())


def _cache_file(root: Path, part: str = "flake8") -> Path:
    (found,) = (root / ".celery_async_cache").glob(f"{part}-*.marshal")
    return found


def _cli(root: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "CELERY_ASYNC_CACHE_DIR"}
    result = subprocess.run(
        [tool("flake8-celery-async"), "--isolated", "."],
        cwd=root, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return sorted(result.stdout.splitlines())


def test_every_worker_saves_and_the_next_run_reports_from_the_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = _flake8(root, "--jobs=2")
    assert len(first) == FILES and all(" CEL007 enqueue() " in line for line in first)
    data = marshal.loads(_cache_file(root).read_bytes())
    entries = data["findings"]
    assert {f"api_{i}.py" for i in range(FILES)} <= set(entries)  # both workers' files

    # A doctored entry is reported as it stands: the second run read the cache, not the file.
    sha, key, _ = entries["api_0.py"]
    entries["api_0.py"] = (sha, key, [(5, 4, "CEL999 read from the cache")])
    _cache_file(root).write_bytes(marshal.dumps(data))
    second = _flake8(root, "--jobs=2")
    doctored = "./api_0.py:5:5: CEL999 read from the cache"
    assert set(second) == {line for line in first if "/api_0.py:" not in line} | {doctored}

    # An edited file is checked again (its content hash changed).
    with (root / "api_0.py").open("a") as f:
        f.write("# edited\n")
    third = _flake8(root, "--jobs=1")
    assert third == first


def test_an_edited_helper_in_another_module_reaches_cached_findings(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert len(_flake8(root)) == FILES
    (root / "services.py").write_text("def enqueue(n):\n    print(n)\n")  # no Celery any more
    assert _flake8(root) == []
    (root / "services.py").write_text(SERVICES)
    again = _flake8(root)
    assert len(again) == FILES
    assert _cli(root) == again  # the standalone CLI, with its own cache, agrees


def test_the_cli_answers_an_unchanged_project_from_its_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = _cli(root)
    assert len(first) == FILES
    assert _cli(root) == first
    data = marshal.loads(_cache_file(root, "findings").read_bytes())
    sha, key, found = data["findings"]["api_3.py"]
    assert [f[4] for f in found] == ["CEL007"]
    data["findings"]["api_3.py"] = (sha, key, [(5, 4, 5, 13, "CEL999", "CEL999 from the cache")])
    _cache_file(root, "findings").write_bytes(marshal.dumps(data))
    doctored = "./api_3.py:5:5: CEL999 from the cache"
    assert set(_cli(root)) == {line for line in first if "/api_3.py:" not in line} | {doctored}
    with (root / "api_3.py").open("a") as f:  # new content: checked again
        f.write("# edited\n")
    assert _cli(root) == first
    # Trusted like ruff's cache: same size and modification time, so the file is not read.
    target = root / "api_4.py"
    before, stat = target.read_text(), target.stat()
    target.write_text(before.replace("    enqueue(n)", "    print(n)  "))
    assert len(target.read_text()) == len(before)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _cli(root) == first
    target.touch()  # a new modification time: read and checked again
    assert _cli(root) == [line for line in first if "/api_4.py:" not in line]


def test_a_file_that_does_not_parse_is_remembered_under_this_python(tmp_path: Path) -> None:
    """An unchanged project's file that did not parse is not read again: the same error,
    from the cache, kept apart for each Python (one that can parse it checks it)."""
    import sys

    root = _project(tmp_path)
    (root / "broken.py").write_text(
        "from tasks import index\nasync def view(:\n    index.delay(1)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CELERY_ASYNC_CACHE_DIR"}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool("flake8-celery-async"), "--isolated", "."],
            cwd=root, capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip

    first = run()
    assert "./broken.py: error: " in first.stderr, first.stderr
    data = marshal.loads(_cache_file(root, "errors").read_bytes())
    sha, key, ((message,),) = data["findings"]["broken.py"]
    assert key.endswith(str(sys.version_info[:2])) and message in first.stderr
    data["findings"]["broken.py"] = (sha, key, [("from the cache",)])
    _cache_file(root, "errors").write_bytes(marshal.dumps(data))
    second = run()
    assert second.stderr == "./broken.py: error: from the cache; file skipped\n"
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)
    data["findings"]["broken.py"] = (sha, key.replace(str(sys.version_info[:2]), "(2, 7)"), [])
    _cache_file(root, "errors").write_bytes(marshal.dumps(data))
    assert run().stderr == first.stderr  # another Python's answer: parsed again


def test_with_the_cache_off_nothing_is_written(tmp_path: Path) -> None:
    root = _project(tmp_path)
    cached = _flake8(root)
    (root / ".celery_async_cache").rename(tmp_path / "moved")
    assert _flake8(root, "--celery-cache-dir=off") == cached
    assert not (root / ".celery_async_cache").exists()
