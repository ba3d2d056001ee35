"""Every Celery celery-asyncx claims: the runtime's version-sensitive tests (marked
``celery_matrix``) on Celery 5.3, 5.4, 5.5, 5.6 and 5.7, each with the kombu, py-amqp and
redis-py of its line.

The suite itself runs on the newest; this runs ``noxfile.py``'s ``celery`` session for each
line (a virtualenv made by uv, ``./celery-asyncx`` installed with that line's pins), so the
README's one test command covers them all.
"""

from __future__ import annotations

import ast

import pytest
from cel_support import ROOT, run, tool


def _lines() -> list[str]:
    """``CELERY``'s keys from noxfile.py, read without importing it."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "CELERY":
            pins: dict[str, list[str]] = ast.literal_eval(node.value)
            return list(pins)
    raise AssertionError("noxfile.py has no CELERY")


def test_every_line_from_the_pin_is_in_the_matrix() -> None:
    """celery-asyncx's Celery pin and the matrix agree: 5.3 up to the last line tested."""
    pyproject = (ROOT / "celery-asyncx" / "pyproject.toml").read_text()
    lines = _lines()
    assert f'"celery[redis]>={lines[0]},<5.{int(lines[-1].split(".")[1]) + 1}"' in pyproject


@pytest.mark.parametrize("line", _lines())
def test_runtime_holds_on_celery(line: str) -> None:
    result = run(tool("nox"), "-r", "-s", f"celery({line})", cwd=ROOT)
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert " passed" in tail and f"Session celery({line}) was successful" in tail, tail
