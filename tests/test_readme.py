"""Every command in README.md runs as written.

Shell blocks are marked with an HTML comment before them:
``<!-- readme-test: exit=N -->`` runs each line (in the repository) and expects status N;
``<!-- readme-test: copy-examples -->`` runs each line in a temp dir holding a copy of
``examples/`` (they write) and expects 0 or 1; ``<!-- readme-test: ci -->`` is the install and
test command, which must be exactly what ``.ci/run`` runs (running pytest inside pytest would
recurse). ``pip install`` steps are checked with ``--dry-run`` so the test environment is not
re-pointed at a temp copy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cel_support import BIN, ROOT, run

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"<!-- readme-test: ([\w=-]+) -->\n```sh\n(.*?)```", README, re.S)


def _lines(block: str) -> list[str]:
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def _shell(line: str, cwd: Path) -> int:
    env_path = f"PATH={BIN}:$PATH"
    return run("bash", "-c", f"export {env_path}; {line}", cwd=cwd).returncode


def _split_install(line: str) -> tuple[str | None, str]:
    match = re.match(r"pip install (.+?) && (.+)", line)
    return (match.group(1), match.group(2)) if match else (None, line)


def test_every_sh_block_is_marked() -> None:
    assert README.count("```sh") == len(BLOCKS)
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize(("mark", "block"), BLOCKS, ids=[m for m, _ in BLOCKS])
def test_readme_block(mark: str, block: str, tmp_path: Path) -> None:
    if mark == "ci":
        ci = (ROOT / ".ci" / "run").read_text()
        for line in _lines(block):
            for part in line.split(" && "):
                assert part in ci, f"README says {part!r} but .ci/run does not"
        return
    if mark == "copy-examples":
        shutil.copytree(ROOT / "examples", tmp_path / "examples")
        for line in _lines(block):
            assert _shell(line, tmp_path) in (0, 1), line
        assert "celery_async.py" in {p.name for p in (tmp_path / "examples").rglob("*.py")}
        return
    want = int(mark.removeprefix("exit="))
    for line in _lines(block):
        spec, command = _split_install(line)
        if spec is not None:
            check = f"{BIN}/python -m pip install --dry-run --no-deps {spec}"
            assert _shell(check, ROOT) == 0, check
        assert _shell(command, ROOT) == want, command
