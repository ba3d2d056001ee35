"""Every Python we claim: the unit, eval-file and CLI tests on 3.10, 3.12 and 3.13.

The suite itself runs on 3.11; this runs ``noxfile.py``'s session for each other version, so
the README's one test command covers them all. A claimed interpreter that is not installed
fails here (nox's ``error_on_missing_interpreters``), it is never skipped.
"""

from __future__ import annotations

import ast
import sys

import pytest
from cel_support import ROOT, run, tool


def _claimed() -> list[str]:
    """``PYTHONS`` from noxfile.py, read without importing it (it edits PATH for nox)."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PYTHONS":
            versions: list[str] = ast.literal_eval(node.value)
            return versions
    raise AssertionError("noxfile.py has no PYTHONS")


@pytest.mark.parametrize("version", _claimed())
def test_unit_eval_and_cli_tests_pass_on(version: str) -> None:
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        pytest.fail("the suite runs on a version nox also runs: drop it from noxfile.PYTHONS")
    result = run(tool("nox"), "-r", "-s", f"tests-{version}", cwd=ROOT)
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert " passed" in tail and f"Session tests-{version} was successful" in tail, tail
