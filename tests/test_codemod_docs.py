"""docs/codemod.md shows the real diff of the bundled example, as a fresh clone prints it."""

from __future__ import annotations

import re

from cel_support import BIN, ROOT, run
from celery_async_codemod.runtime import REQUIREMENT

PAGE = (ROOT / "docs" / "codemod.md").read_text()


def test_the_demo_diff_is_the_real_output() -> None:
    """`celery-async-codemod --diff examples/` from the repository's root, as the page says
    (it writes nothing); the repository's own files (benchmarks, tests) are seen, not wired."""
    [shown] = re.findall(r"```diff\n(.*?)```", PAGE, re.S)
    proc = run(BIN / "celery-async-codemod", "--diff", "examples/", cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == shown
    assert "examples/shop/api.py:29 CEL007" in proc.stderr
    assert "examples/shop/tasks.py:37 CEL008" in proc.stderr


def test_the_requirement_line_is_the_codemods() -> None:
    assert f"```text\n{REQUIREMENT}\n```" in PAGE
