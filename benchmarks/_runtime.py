"""Shared by the runtime benchmarks (outage.py, dispatch.py): the test suite's real-server
helpers, the service the runtime tests run (on the installed ``celery_asyncx``), and result
output."""

from __future__ import annotations

import json
import math
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
sys.path[:0] = [str(REPO / "tests"), str(REPO)]

from conftest import write_runtime_project  # noqa: E402
from storm import percentile  # noqa: E402

__all__ = ["REPO", "fmt", "percentile", "project", "table", "write_json"]


def project() -> Path:
    """A temp directory with the FastAPI/Celery ``runtime_app.py``."""
    return write_runtime_project(Path(tempfile.mkdtemp(prefix="celery-async-bench-")))


def fmt(seconds: float | None, window: float | None = None) -> str:
    """Seconds for humans; ``inf`` (never answered) as "> window"."""
    if seconds is None or math.isnan(seconds):
        return "-"
    if math.isinf(seconds):
        return f"> {window:g} s" if window else "never"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # "never answered within the window"
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def write_json(data: dict[str, Any], target: str | None, name: str) -> None:
    """``--json -``: to stdout; ``--json PATH``; default ``benchmarks/results/<name>.json``."""
    text = json.dumps(_jsonable(data), indent=2)
    if target == "-":
        print(text)
        return
    path = Path(target) if target else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    print(f"\nJSON: {path}", file=sys.stderr)
