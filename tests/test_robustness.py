"""Never corrupt: the codemod killed at random moments, and swept over installed packages."""

from __future__ import annotations

import ast
import difflib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cel_support import ROOT, tool

API = (ROOT / "examples" / "shop" / "api.py").read_text()
KILL_POINTS = int(os.environ.get("CEL_KILL_POINTS", "6"))
COPIES = 30


def _corpus(root: Path, copies: int) -> None:
    """A package of many files to rewrite (the example's endpoints, renamed per copy)."""
    shutil.copytree(ROOT / "examples" / "shop", root / "shop")
    for i in range(copies):
        (root / "shop" / f"api_{i:03}.py").write_text(API.replace("place_order", f"order_{i}"))


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def _codemod(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [tool("celery-async-codemod"), "--jobs", "2", *args, "shop"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_killed_runs_leave_every_file_original_or_rewritten(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    _corpus(clean, copies=COPIES)
    original = _snapshot(clean)
    start = time.perf_counter()
    assert _codemod(clean).wait(timeout=600) == 1
    full_run = time.perf_counter() - start
    rewritten = _snapshot(clean)
    assert sum(original.get(k) != v for k, v in rewritten.items()) > COPIES

    rng = random.Random(20261124)
    outcomes = {"untouched": 0, "partial": 0, "complete": 0, "temp files left": 0}
    for point in range(KILL_POINTS):
        work = tmp_path / f"kill{point}"
        _corpus(work, copies=COPIES)
        process = _codemod(work)
        time.sleep(rng.uniform(0.05, full_run))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        state = _snapshot(work)
        # A SIGKILL mid-write can leave the codemod's own temp file (".name.py.XXXX.tmp"),
        # never a half-written .py.
        others = [p for p in work.rglob("*") if p.is_file() and p.suffix != ".py"]
        others = [p for p in others if "__pycache__" not in p.parts]
        assert all(re.fullmatch(r"\..+\.py\.\w+\.tmp", p.name) for p in others), others
        outcomes["temp files left"] += len(others)
        changed = 0
        for name, data in state.items():
            assert data in (original.get(name), rewritten[name]), f"{name} is neither form"
            changed += data != original.get(name)
        outcomes[
            "untouched" if not changed else "complete" if state == rewritten else "partial"
        ] += 1
    # Running again over the last interrupted tree finishes the job exactly.
    assert _codemod(work).wait(timeout=600) in (0, 1)
    assert _snapshot(work) == rewritten
    print(f"kill points: {KILL_POINTS}, full run {full_run:.2f} s, outcomes {outcomes}")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("project", ["installed", "examples"])
def test_codemod_sweep_changes_only_finding_lines(tmp_path: Path, project: str) -> None:
    """Over copies of celery, kombu, fastapi and starlette, and of the examples (each its own
    project): only lines with findings, imports and the factory wiring change; everything
    written parses; a second run is a no-op."""
    if project == "installed":
        purelib = Path(sysconfig.get_paths()["purelib"])
        packages = ["celery", "kombu", "fastapi", "starlette"]
        for name in packages:
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(purelib / name, tmp_path / name, ignore=ignore)
    else:
        packages = ["shop"]
        shutil.copytree(ROOT / "examples" / "shop", tmp_path / "shop")
    before = _snapshot(tmp_path)
    first = _run(tool("celery-async-codemod"), *packages, cwd=tmp_path)
    assert first.returncode in (0, 1), first.stderr
    after = _snapshot(tmp_path)
    new_files = set(after) - set(before)
    assert not new_files, new_files  # the runtime is a library: nothing of ours is added
    for name in sorted(set(before) & set(after)):
        if before[name] == after[name]:
            continue
        old, new = before[name].decode(), after[name].decode()
        ast.parse(new, filename=name)
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
            if line.startswith(("---", "+++", "@@", "-")) or not line[1:].strip():
                continue
            assert any(word in line for word in ("await ", "import", "Async")), (name, line)
    again = _run(tool("celery-async-codemod"), *packages, cwd=tmp_path)
    assert ", 0 rewritten" in again.stderr, again.stderr
    assert again.returncode == (1 if "unfixable findings" in again.stderr else 0), again.stderr
    assert _snapshot(tmp_path) == after


@pytest.mark.parametrize("depth", [200, 900])
def test_codemod_on_deeply_nested_input_reports_or_rewrites_but_never_crashes(
    tmp_path: Path, depth: int
) -> None:
    deep = " | ".join(["a.s()"] * depth)
    source = f"from proj.tasks import t\n\n\nasync def f(a):\n    x = {deep}\n    t.delay(1)\n"
    path = tmp_path / "deep.py"
    path.write_text(source)
    run = subprocess.run(
        [tool("celery-async-codemod"), "--no-factory", "deep.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (1, 3), run.stderr
    text = path.read_text()
    if run.returncode == 1:
        assert "await run_blocking(t.delay, 1)" in text  # t is not of this repository
        ast.parse(text)
    else:
        assert text == source and "deep.py" in run.stderr


GOOD = "from proj.tasks import t\n\n\nasync def view():\n    t.delay(1)\n"


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("nul", b"async def f():\n    t.delay()\x00\n", 3),
        ("undecodable", b"async def f():\n    t.delay('\xff\xfe')\n", 3),
        ("wrong_cookie", b"# coding: klingon\nasync def f():\n    t.delay()\n", 3),
        ("syntax_error", b"async def f(:\n    t.delay()\n", 3),
        ("newer_syntax", b"type X = int\nasync def f():\n    t.delay()\n", None),
        ("empty", b"", 1),
        ("latin1", b"# -*- coding: latin-1 -*-\nasync def f():\n    t.delay('\xe9')\n", 1),
        ("bom_crlf", b"\xef\xbb\xbfasync def f():\r\n    t.delay()\r\n", 1),
        ("mixed_newlines", b"async def f():\r\n    t.delay()\n    t.delay()\r\n", 1),
        ("tabs", b"async def f():\n\tt.delay()\n", 1),
        # libcst cannot reproduce these byte for byte (a final lone CR, a leading form feed):
        # the codemod refuses them with a message instead of changing anything else in them.
        ("final_lone_cr", b"async def f():\r\n    t.delay()\n    t.delay()\r", 3),
        ("formfeed", b"\x0casync def f():\n\tt.delay()\n", 3),
    ],
)
def test_codemod_bad_or_odd_input(
    tmp_path: Path, name: str, content: bytes, status: int | None
) -> None:
    """Bad input is reported and left byte-for-byte; odd but valid input is rewritten; the
    rest of the run goes on either way."""
    (tmp_path / f"a_{name}.py").write_bytes(content)
    (tmp_path / "z_good.py").write_text(GOOD)
    result = _run(tool("celery-async-codemod"), "--no-factory", ".", cwd=tmp_path)
    if status is None:  # valid only on newer Pythons
        status = 1 if sys.version_info >= (3, 12) else 3
    assert result.returncode == status, result.stderr
    assert "await run_blocking(t.delay, 1)" in (tmp_path / "z_good.py").read_text()
    after = (tmp_path / f"a_{name}.py").read_bytes()
    if status == 3:
        assert after == content
        assert f"a_{name}.py: error:" in result.stderr
    elif content:
        assert after != content and b"await run_blocking(t.delay" in after
        ast.parse(after)
        assert after.startswith(b"\xef\xbb\xbf") == content.startswith(b"\xef\xbb\xbf")
        added = after.count(b"\n") - content.count(b"\n")  # the import: in the file's newline
        assert after.count(b"\r\n") - content.count(b"\r\n") == (added if b"\r\n" in content else 0)


def test_codemod_paths_it_must_not_follow_or_cannot_write(
    tmp_path: Path, as_nobody: Callable[[str], list[str]]
) -> None:
    """A directory named x.py, a dangling symlink, a link out of the tree, and (as an
    unprivileged user, since CI runs as root) a read-only directory."""
    root = Path(tempfile.mkdtemp())
    try:
        root.chmod(0o755)
        (root / "x.py").mkdir()
        (root / "dangling.py").symlink_to(root / "nowhere.py")
        outside = tmp_path / "outside.py"
        outside.write_text(GOOD)
        (root / "link_out.py").symlink_to(outside)
        locked = root / "locked"
        locked.mkdir()
        (locked / "view.py").write_text(GOOD)
        (root / "open.py").write_text(GOOD)
        for path in (root, locked, locked / "view.py", root / "open.py"):
            os.chown(path, 65534, 65534) if os.geteuid() == 0 else None
        locked.chmod(0o555)  # no temp file can be created here
        result = _run(*as_nobody("celery-async-codemod"), "--no-factory", ".", cwd=root)
        assert result.returncode == 3, result.stderr
        assert "./dangling.py: error: dangling symlink" in result.stderr
        assert "locked/view.py: error:" in result.stderr
        assert (locked / "view.py").read_text() == GOOD
        assert outside.read_text() == GOOD  # the link out of the tree was not followed
        assert "await run_blocking(t.delay, 1)" in (root / "open.py").read_text()
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)
