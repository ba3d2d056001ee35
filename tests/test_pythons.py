"""Every Python we claim: the checker's and the codemod's tests on 3.10, 3.12 and 3.13, with
the wheel installed, and the same findings and codemod diff there as on 3.11.

The suite itself runs on 3.11; this runs ``noxfile.py``'s session for each other version with
the wheel this checkout builds (``CEL_WHEEL``), so the README's one test command covers them
all. A claimed interpreter that is not installed fails here (nox's
``error_on_missing_interpreters``), it is never skipped.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from cel_support import BIN, ROOT, findings_and_diff, run, tool


def _claimed() -> list[str]:
    """``PYTHONS`` from noxfile.py, read without importing it (it edits PATH for nox)."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PYTHONS":
            versions: list[str] = ast.literal_eval(node.value)
            return versions
    raise AssertionError("noxfile.py has no PYTHONS")


@pytest.fixture(scope="module")
def on_3_11(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str]:
    """Findings and codemod diff of this checkout's own tools, on the Python running us."""
    return findings_and_diff(BIN, tmp_path_factory.mktemp("reference"))


@pytest.mark.parametrize("version", _claimed())
def test_tests_pass_and_the_wheel_agrees_on(
    version: str, dist: Path, on_3_11: tuple[list[str], str], tmp_path: Path
) -> None:
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        pytest.fail("the suite runs on a version nox also runs: drop it from noxfile.PYTHONS")
    (wheel,) = dist.glob("*.whl")
    envs = tmp_path / "nox"
    session = ["--envdir", str(envs), "-s", f"tests-{version}"]
    result = run(tool("nox"), *session, cwd=ROOT, env={"CEL_WHEEL": str(wheel)})
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert " passed" in tail and f"Session tests-{version} was successful" in tail, tail
    (bin_dir,) = envs.glob("tests-*/bin")
    assert findings_and_diff(bin_dir, tmp_path / "work") == on_3_11
