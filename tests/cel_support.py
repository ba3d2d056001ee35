"""Shared test helpers: eval-file expectations and running the real command-line tools."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = Path(__file__).resolve().parent / "eval_files"
EVAL_FILES = sorted(EVAL_DIR.glob("*.py"))
BIN = Path(sys.executable).parent

_EXPECT = re.compile(r"#\s*((?:CEL\d{3}:\s*\d+(?:,\s*)?)+)\s*$")
_ONE = re.compile(r"(CEL\d{3}):\s*(\d+)")


def expected(path: Path) -> set[tuple[int, int, str]]:
    """``# CEL001: 4`` at the end of a line: (line, 0-based column, code)."""
    found = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = _EXPECT.search(line)
        if match:
            for code, col in _ONE.findall(match.group(1)):
                found.add((number, int(col), code))
    return found


def eval_args(path: Path) -> list[str]:
    """Option header: a first line ``# ARGS: --flag=value ...``."""
    first = path.read_text().splitlines()[0]
    return shlex.split(first.partition("# ARGS:")[2]) if first.startswith("# ARGS:") else []


def run(
    *cmd: str | os.PathLike[str],
    cwd: Path | None = None,
    check: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command (``env`` adds to ours), capturing its output as text."""
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        check=check,
        timeout=600,
    )


def findings_and_diff(bin_dir: Path, work: Path) -> tuple[list[str], str]:
    """What the tools in ``bin_dir`` make of a copy of ``examples/`` in ``work``: the
    standalone checker's findings (flake8's must be the same) and the codemod's diff; the
    rewrite itself must then leave nothing for a second run to write."""
    import shutil

    shutil.copytree(ROOT / "examples", work / "examples")
    lint = run(bin_dir / "flake8-celery-async", "examples", cwd=work)
    assert lint.returncode == 1 and "CEL001" in lint.stdout, lint.stdout + lint.stderr
    flake8 = run(bin_dir / "flake8", "--select", "CEL", "examples", cwd=work)
    assert sorted(flake8.stdout.splitlines()) == sorted(lint.stdout.splitlines())
    diff = run(bin_dir / "celery-async-codemod", "--diff", "examples", cwd=work)
    assert diff.returncode == 1 and "+++ " in diff.stdout, diff.stderr
    fix = run(bin_dir / "celery-async-codemod", "examples", cwd=work)
    assert fix.returncode == 1 and "Rewriting" in fix.stderr, fix.stderr
    rewritten = {p: p.read_bytes() for p in (work / "examples").rglob("*.py")}
    again = run(bin_dir / "celery-async-codemod", "examples", cwd=work)
    # Exit 1 still: the CEL007 and CEL008 the example keeps are named, not fixed.
    assert again.returncode == 1 and ", 0 rewritten" in again.stderr, again.stderr
    assert "Rewriting" not in again.stderr
    assert {p: p.read_bytes() for p in (work / "examples").rglob("*.py")} == rewritten
    return sorted(lint.stdout.splitlines()), diff.stdout


def tool(name: str) -> str:
    """A console script installed beside the running interpreter."""
    return str(BIN / name)


PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def interpreter(version: str) -> Path | None:
    """A CPython ``version`` (``"3.10"``) on PATH or under pyenv, or None."""
    import shutil

    on_path = shutil.which(f"python{version}")
    if on_path and "shims" not in on_path:
        return Path(on_path)
    for candidate in sorted(PYENV.glob(f"{version}.*"), reverse=True):
        binary = candidate / "bin" / f"python{version}"
        if binary.is_file():
            return binary
    return None
