"""Shared by the runtime benchmarks (outage.py, dispatch.py): the test suite's real-server
helpers, the service the runtime tests run (on the installed ``celery_asyncx``); timing and
output come from ``harness.py``, the one harness every benchmark here shares."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness import REPO, fmt, percentile, rotations, table, write_json

sys.path[:0] = [str(REPO / "tests"), str(REPO)]

from conftest import write_runtime_project  # noqa: E402

__all__ = ["REPO", "fmt", "percentile", "project", "rotations", "table", "write_json"]


def project() -> Path:
    """A temp directory with the FastAPI/Celery ``runtime_app.py``."""
    return write_runtime_project(Path(tempfile.mkdtemp(prefix="celery-async-bench-")))
