"""Every command in README.md, docs/*.md and the runtime's README runs as written, and every
link between them resolves.

Each shell block (```sh) is marked with an HTML comment just before it:

``<!-- readme-test: exit=N -->``
    Each line runs in a shell of its own from the root of a fresh copy of the repository
    (the files git would clone, with your uncommitted edits) and must exit N (``exit=0,1``:
    either). A block that runs ``pip install`` gets a new virtualenv of its own in that
    copy, as if the reader had made and activated one; otherwise the tools of the running
    tests are on PATH. The lines may write: each block has its own copy.
``<!-- readme-test: copy-examples -->``
    The same, each line exiting 0 or 1 (the codemod's status when it rewrote something).
``<!-- readme-test: ci -->``
    The install-and-test command: it must be what ``.ci/run`` runs (running the suite inside
    the suite would recurse).
``<!-- readme-test: long -->``
    Too long to run here (benchmarks: minutes each). Kept few; each script it names must
    exist and answer ``--help``.

Python blocks must parse, and relative links must point at files that exist.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cel_support import BIN, ROOT

PAGES = sorted(
    p
    for p in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("*/README.md")]
    if p.is_file()
)
FENCE = re.compile(r"^(?:<!-- readme-test: ([\w=,-]+) -->\n)?```(\w*)\n(.*?)^```", re.S | re.M)
SHELL = ("sh", "bash", "shell", "console")
MOST_LONG_BLOCKS = 4


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _blocks(kind: tuple[str, ...]) -> list[tuple[str, str | None, str]]:
    found = []
    for page in PAGES:
        for mark, language, body in FENCE.findall(page.read_text()):
            if language in kind:
                found.append((_name(page), mark or None, body))
    return found


SHELL_BLOCKS = _blocks(SHELL)
RUN = [(page, mark, body) for page, mark, body in SHELL_BLOCKS if mark not in ("ci", "long")]


def _lines(block: str) -> list[str]:
    """Commands without their trailing comments (``  # ...``)."""
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def fresh_copy(where: Path) -> Path:
    """The files a clone of this repository has (git's tracked and new, unignored files,
    with uncommitted edits), copied to ``where``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    )  # fmt: skip
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():  # a file deleted but not yet committed is skipped
            target = where / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return where


def test_every_shell_block_is_marked() -> None:
    unmarked = [(page, body[:60]) for page, mark, body in SHELL_BLOCKS if mark is None]
    assert not unmarked, f"mark these with <!-- readme-test: ... --> (see this file): {unmarked}"
    assert any(page == "README.md" and mark == "ci" for page, mark, _ in SHELL_BLOCKS)
    assert len([1 for _, mark, _ in SHELL_BLOCKS if mark == "long"]) <= MOST_LONG_BLOCKS


@pytest.mark.parametrize(
    ("page", "mark", "block"), RUN, ids=[f"{p}:{b.splitlines()[0][:40]}" for p, _, b in RUN]
)
def test_block_runs_as_written(page: str, mark: str, block: str, tmp_path: Path) -> None:
    if mark == "copy-examples":
        allowed = {0, 1}
    else:
        assert mark.startswith("exit="), f"{page}: unknown mark {mark!r}"
        allowed = {int(n) for n in mark.removeprefix("exit=").split(",")}
    clone = fresh_copy(tmp_path / "clone")
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    if re.search(r"\bpip install\b", block):  # a virtualenv of its own, activated
        made = subprocess.run(
            [sys.executable, "-m", "virtualenv", "-q", clone / ".venv"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        path = f"{clone / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("VIRTUAL_ENV", None)
    for line in _lines(block):
        done = subprocess.run(
            ["bash", "-c", line], cwd=clone, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode in allowed, (
            f"{page}: `{line}` exited {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )


def test_the_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    for page, mark, block in SHELL_BLOCKS:
        if mark == "ci":
            for line in _lines(block):
                for part in line.split(" && "):
                    assert part in ci, f"{page} says {part!r} but .ci/run does not"


def test_long_blocks_name_scripts_that_answer_help() -> None:
    for page, mark, block in SHELL_BLOCKS:
        if mark != "long":
            continue
        for line in _lines(block):
            for script in re.findall(r"\bpython3? (\S+\.py)\b", line):
                assert (ROOT / script).is_file(), f"{page}: {script} does not exist"
                done = subprocess.run(
                    [sys.executable, ROOT / script, "--help"],
                    cwd=ROOT, capture_output=True, text=True, timeout=120,
                )  # fmt: skip
                assert done.returncode == 0, f"{page}: {script} --help\n{done.stderr}"


@pytest.mark.parametrize("page", [_name(p) for p in PAGES])
def test_python_blocks_parse_and_links_resolve(page: str) -> None:
    text = (ROOT / page).read_text()
    for _mark, language, body in FENCE.findall(text):
        if language == "python":
            ast.parse(body, f"{page}: a python block")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address, a heading of this page
        resolved = ((ROOT / page).parent / target.partition("#")[0]).resolve()
        assert resolved.exists(), f"{page}: the link {target} points at nothing"
