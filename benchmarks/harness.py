"""What every benchmark here does the same way: run A and B side by side in rotated order,
time whole commands (wall and child CPU), take per-round ratios and percentiles, describe the
machine and the code under test, and write the result as JSON.

The lint benchmark (``lint_speed.py``) and the runtime benchmarks (``outage.py``,
``dispatch.py``, through ``_runtime.py``) import it; it imports nothing of theirs.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"

# ---------------------------------------------------------------------------------------------
# Order, ratios, percentiles


def rotations(names: Sequence[str], rounds: int) -> Iterator[list[str]]:
    """The order of each round: every permutation in turn, so no variant always runs first
    (or always right after the same neighbour) on a machine whose load drifts."""
    orders = list(itertools.permutations(names))
    for r in range(rounds):
        yield list(orders[r % len(orders)])


def paired_ratio(leg: dict[str, Any], a: str, b: str, key: str = "wall_s") -> dict[str, Any]:
    """Per-round ratios a/b (same round, adjacent in time) and their median, min and max."""
    ratios = [x / y for x, y in zip(leg[key][a], leg[key][b], strict=True)]
    return {
        "per_round": ratios,
        "median": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "ratio_of_medians": statistics.median(leg[key][a]) / statistics.median(leg[key][b]),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); ``inf`` stands for "never returned"."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------------------------------------
# Whole commands, timed side by side


@dataclass
class Run:
    wall: float
    cpu: float
    returncode: int
    output: str
    errors: str


class CommandFailed(RuntimeError):
    pass


def run_timed(
    cmd: Sequence[str],
    cwd: Path,
    out_dir: Path,
    ok: Sequence[int] = (0, 1),
    env: dict[str, str] | None = None,
) -> Run:
    """Run one whole command; wall time around ``subprocess.run``, CPU of the child and all
    its workers from ``RUSAGE_CHILDREN`` (the steadier figure on a shared machine).

    Output goes to files (opened before the clock starts), so a big report costs the same
    as it would in a terminal redirected to a file, and no pipe can block.
    """
    out_path, err_path = out_dir / "stdout.txt", out_dir / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    if proc.returncode not in ok:
        raise CommandFailed(
            f"{' '.join(cmd)} (cwd {cwd}) exited {proc.returncode}, expected one of {list(ok)}:"
            f"\n{stderr[-3000:]}\n{output[-1000:]}"
        )
    return Run(wall, cpu, proc.returncode, output, stderr)


@dataclass
class Variant:
    name: str
    cmd: list[str]
    ok: tuple[int, ...] = (0, 1)
    env: dict[str, str] | None = None
    verify: Callable[[Run], None] | None = None
    env_diff: dict[str, str] = field(default_factory=dict)
    """What ``env`` changes from this process's environment (recorded; the rest is not)."""


def alternate(
    variants: Sequence[Variant], rounds: int, cwd: Path, out_dir: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    """One untimed warm-up run of each variant, then ``rounds`` rounds in rotated order."""
    for v in variants:
        log(f"    warm-up {v.name}")
        run = run_timed(v.cmd, cwd, out_dir, v.ok, v.env)
        if v.verify:
            v.verify(run)
    by_name = {v.name: v for v in variants}
    wall: dict[str, list[float]] = {v.name: [] for v in variants}
    cpu: dict[str, list[float]] = {v.name: [] for v in variants}
    codes: dict[str, list[int]] = {v.name: [] for v in variants}
    # Lines each run printed: a run that did less work than its peers shows up here.
    output_lines: dict[str, list[int]] = {v.name: [] for v in variants}
    order_log: list[list[str]] = []
    stderr_tail: dict[str, str] = {}
    for r, order in enumerate(rotations(list(by_name), rounds)):
        order_log.append(order)
        for name in order:
            v = by_name[name]
            run = run_timed(v.cmd, cwd, out_dir, v.ok, v.env)
            if v.verify:
                v.verify(run)
            wall[name].append(run.wall)
            output_lines[name].append(run.output.count("\n"))
            cpu[name].append(run.cpu)
            codes[name].append(run.returncode)
            if run.returncode not in (0, 1):
                stderr_tail[name] = run.errors[-2000:]
        log(
            f"    round {r + 1}/{rounds}: "
            + ", ".join(f"{n} {wall[n][-1]:.2f}s/{cpu[n][-1]:.2f}cpu" for n in order)
        )
    return {
        "commands": {v.name: v.cmd for v in variants},
        "env": {v.name: v.env_diff for v in variants if v.env_diff},
        "order": order_log,
        "wall_s": wall,
        "cpu_s": cpu,
        "exit_codes": codes,
        "output_lines": output_lines,
        "stderr_tail_of_runs_exiting_not_0_or_1": stderr_tail,
        "median_wall_s": {k: statistics.median(x) for k, x in wall.items()},
        "median_cpu_s": {k: statistics.median(x) for k, x in cpu.items()},
    }


# ---------------------------------------------------------------------------------------------
# The machine and the code under test


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info() -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def git_state(paths: Sequence[str] = ("flake8_celery_async", "codemod")) -> dict[str, Any] | None:
    """The checked-out commit and changed files of the code under test (an editable install
    runs whatever is in the tree, so a commit landing mid-run shows up as start != end)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "uncommitted_in_checker_or_codemod": changed}


def dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def find_tool(name: str) -> str | None:
    """A console script of this environment first (the venv of ``sys.executable``), then PATH."""
    candidate = Path(sysconfig.get_paths()["scripts"]) / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which(name)


# ---------------------------------------------------------------------------------------------
# Output


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


def write_json(data: dict[str, Any], target: str | Path | None, name: str) -> Path | None:
    """``-``: to stdout; a path; by default ``benchmarks/results/<name>.json``."""
    text = json.dumps(_jsonable(data), indent=2)
    if str(target) == "-":
        print(text)
        return None
    path = Path(target) if target else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\nJSON: {path}", file=sys.stderr)
    return path
