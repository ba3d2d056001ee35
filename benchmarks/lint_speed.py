"""Lint-speed benchmarks (issue 6): the CEL checker against flake8, ruff and libcst.

    python benchmarks/lint_speed.py [--large] [--rounds N] [--json PATH]

Prints a table and writes every raw timing as JSON (default ``benchmarks/results/lint_speed.json``).

The corpus is copied into a temp dir from the *current* environment: the standard library
(``sysconfig`` "stdlib", without its test suites) plus the installed ``celery``, ``kombu``,
``fastapi`` and ``starlette`` packages (found with ``importlib``), plus one canary file with a
CEL finding and a bugbear finding. ``--large`` builds a second tier: the standard library plus
every ``.py`` file of site-packages. Only ``.py`` files are copied, and directories that any of
the tools excludes by default (``build``, ``dist``, ``venv``, ``__pycache__``, ...) are left out,
so every tool checks exactly the same files (ruff's file list is verified before timing).

Legs, each timed as whole commands (``time.perf_counter`` around ``subprocess.run``), after one
untimed warm-up run of every command (OS file cache), with the order rotated every round;
medians of the per-round ratios are reported, nothing is dropped (min and max are shown too):

1. **Plugin overhead inside flake8.** Three flake8 variants run the same argv over the corpus:
   without our plugin and without bugbear (the baseline), with our plugin, with bugbear (the
   anchor). The plugin set is toggled in the child process, not by reinstalling: every variant
   runs flake8's ``main`` through the same tiny launcher, which filters the named distributions
   out of ``importlib.metadata.distributions()`` (where flake8 finds ``flake8.extension`` entry
   points) before flake8 starts. So flake8 does identical work except the plugin; ``--select`` is
   not used because flake8 runs every loaded plugin and only filters its results. The filter sits
   at module level of the launcher, so it also holds in ``spawn`` workers (``fork`` workers
   inherit the parent's plugin list). Checked every run: ``--version`` lists exactly the expected
   plugins, and the canary's CEL line is in the output of every timed "with" run and absent
   from every baseline run (the same for bugbear's B006).
   On a shared machine two runs of the same flake8 command differ by up to 40 %, so wall time
   cannot judge a 1 % budget. The verdict rests on instruction counts instead: each variant
   runs twice more, under valgrind (cachegrind, no cache simulation), with ``PYTHONHASHSEED``
   0 and 1, over a fixed sample of the corpus (every k-th file, about 128, with the canary);
   how far the baseline moves between the seeds is shown beside it.
   Without valgrind, the wall ratio decides.
2. **Standalone vs ruff.** ``flake8-celery-async --isolated <corpus>`` vs
   ``ruff check --isolated --no-cache --select ASYNC <corpus>``, alternating, 21 rounds
   (``--standalone-rounds``: each run takes a fraction of a second).
3. **Codemod vs libcst.** ``celery-async-codemod --check <corpus>`` vs a child process that only
   runs ``libcst.parse_module`` on every corpus file, one by one (fewer rounds: it takes ~25 s).
   Skipped with a "not available" line until ``celery-async-codemod --help`` works.

Child CPU time (user + sys, from ``RUSAGE_CHILDREN``, workers included) is recorded beside the
wall time: on a noisy machine its ratio is the steadier one. Budgets are judged on wall time.
``--profile`` adds an in-process cProfile of the flake8 plugin over the corpus (trees parsed
outside the profile, as flake8 hands them to the plugin) and the plugin's import time.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.metadata
import importlib.util
import io
import itertools
import json
import os
import platform
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSON = REPO / "benchmarks" / "results" / "lint_speed.json"
PACKAGES = ("celery", "kombu", "fastapi", "starlette")
OUR_DIST, BUGBEAR_DIST = "flake8-celery-async", "flake8-bugbear"
# Test suites of the standard library: ``test``, ``tests``, ``idlelib/idle_test``,
# ``lib2to3/tests``, ``ctypes/test``, ``tkinter/test``, ``unittest/test``, ...
STDLIB_EXCLUDE = ("test", "tests", "idle_test", "site-packages", "dist-packages")
# Directory names one of the tools skips by default (flake8, ruff, our CLI): left out of the
# corpus so that every tool checks the same files.
TOOL_EXCLUDE = (
    ".svn", "CVS", ".bzr", ".hg", ".git", ".git-rewrite", "__pycache__", ".tox", ".nox",
    ".eggs", "*.egg", "*.egg-info", ".venv", "venv", ".direnv", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".pytype", ".pants.d", ".pyenv", ".vscode", ".ipynb_checkpoints",
    "node_modules", "build", "_build", "buck-out", "dist", "site-packages", "dist-packages",
    "__pypackages__",
)  # fmt: skip
BUDGETS = {
    "flake8_plugin": "overhead <= 1 %",
    "standalone_vs_ruff": "<= 0.5x ruff",
    "codemod_vs_libcst": "<= 0.1x libcst loop",
    "growth": "large/small ratio <= 1.5",
    "tyasync_cold": "<= 1x ty-async",
    "tyasync_warm": "<= 0.2x ty-async",
}
# ty-async's ASYNC200 with the three Celery dispatch patterns, transitive (its call graph).
TY_ASYNC_PATTERNS = "*.delay->delayx(),*.apply_async->apply_asyncx(),*.send_task->send_taskx()"
CANARY = '''\
"""lint_speed canary: one CEL finding (the .delay) and one bugbear finding (B006)."""
from celery import Celery

app = Celery("canary")  # the codemod rewrites only calls to tasks of an app it can wire


@app.task
def add(x, y):
    return x + y


async def handler(items=[]):
    add.delay(1, 2)
    return items
'''
CANARY_NAME = "lint_speed_canary.py"
LAUNCHER = '''\
"""Run flake8 with some distributions hidden from its plugin finder (lint_speed.py)."""
import importlib.metadata
import os
import re

_DROP = frozenset(n for n in os.environ.get("LINT_SPEED_DROP", "").split(",") if n)
_distributions = importlib.metadata.distributions


def _norm(name):
    return re.sub(r"[-_.]+", "-", name or "").lower()


def distributions(**kwargs):
    for dist in _distributions(**kwargs):
        if any(ep.group.startswith("flake8.") for ep in dist.entry_points):
            if _norm(dist.metadata["Name"]) in _DROP:
                continue
        yield dist


importlib.metadata.distributions = distributions

if __name__ == "__main__":
    from flake8.main.cli import main

    raise SystemExit(main())
'''
LIBCST_LOOP = """\
import sys
import libcst

failed = 0
with open(sys.argv[1], encoding="utf-8") as f:
    paths = f.read().splitlines()
for path in paths:
    with open(path, "rb") as f:
        data = f.read()
    try:
        libcst.parse_module(data)
    except Exception:
        failed += 1
print(f"parsed {len(paths) - failed} failed {failed}")
"""


# ---------------------------------------------------------------------------------------------
# Machine and tools


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


def git_state() -> dict[str, Any] | None:
    """The checked-out commit and changed files of the code under test (an editable install
    runs whatever is in the tree, so a commit landing mid-run shows up as start != end)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "flake8_celery_async", "codemod"],
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
# Corpus


@dataclass
class Corpus:
    tier: str
    root: Path
    files: list[Path] = field(default_factory=list)
    lines: int = 0
    bytes: int = 0
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    """Files not copied, by reason (a tool's default exclude, ``--limit-files``)."""

    def summary(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "files": len(self.files),
            "lines": self.lines,
            "bytes": self.bytes,
            "sources": self.sources,
            "left_out": self.left_out,
        }


def _excluded_dir(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch(name, p) for p in patterns)


def _py_files(src: Path, exclude: Sequence[str], left_out: dict[str, int]) -> list[Path]:
    """Every ``.py`` file under ``src`` (sorted), skipping excluded directory names."""
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(src):
        kept = []
        for d in sorted(dirnames):
            path = os.path.join(directory, d)
            if _excluded_dir(d, exclude) or os.path.islink(path):
                if _excluded_dir(d, TOOL_EXCLUDE) and not _excluded_dir(d, STDLIB_EXCLUDE):
                    n = sum(1 for _, _, fs in os.walk(path) for f in fs if f.endswith(".py"))
                    left_out["tool default exclude"] = left_out.get("tool default exclude", 0) + n
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            file = Path(directory, name)
            if name.endswith(".py") and file.is_file() and not file.is_symlink():
                found.append(file)
    return found


def sources_for(tier: str) -> list[tuple[str, Path, Sequence[str]]]:
    """(label, directory, excluded directory names) for each part of the tier's corpus."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts: list[tuple[str, Path, Sequence[str]]] = [
        ("stdlib", stdlib, (*STDLIB_EXCLUDE, *TOOL_EXCLUDE))
    ]
    if tier == "small":
        for name in PACKAGES:
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.submodule_search_locations:
                raise SystemExit(f"lint_speed: package {name!r} is not installed in {sys.prefix}")
            parts.append((name, Path(next(iter(spec.submodule_search_locations))), TOOL_EXCLUDE))
    else:
        seen: set[Path] = set()
        paths = sysconfig.get_paths()
        for key in ("purelib", "platlib"):
            site = Path(paths[key]).resolve()
            if site not in seen and site.is_dir():
                seen.add(site)
                label = "site_packages" if key == "purelib" else f"site_packages_{key}"
                parts.append((label, site, TOOL_EXCLUDE))
    return parts


def build_app_corpus(dest: Path, domains: int) -> Corpus:
    """The generated Celery-heavy service (``gen_celery_app.py``), with the canary."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import gen_celery_app

    corpus = Corpus("app", dest)
    gen_celery_app.generate(dest, domains, seed=13)
    for path in sorted(dest.rglob("*.py")):
        data = path.read_bytes()
        corpus.files.append(path)
        corpus.lines += data.count(b"\n")
        corpus.bytes += len(data)
    corpus.sources["generated"] = {
        "from": f"gen_celery_app.py --domains {domains} --seed 13",
        "files": len(corpus.files),
        "lines": corpus.lines,
    }
    return _with_canary(corpus, dest)


def _with_canary(corpus: Corpus, dest: Path) -> Corpus:
    """Add the canary file, whose findings every timed run must report."""
    canary = dest / "canary" / CANARY_NAME
    canary.parent.mkdir(parents=True, exist_ok=True)
    canary.write_text(CANARY, encoding="utf-8")
    corpus.files.append(canary)
    corpus.lines += CANARY.count("\n")
    corpus.bytes += len(CANARY.encode())
    corpus.sources["canary"] = {"from": "lint_speed.py", "files": 1, "lines": CANARY.count("\n")}
    return corpus


def build_corpus(tier: str, dest: Path, limit: int | None, domains: int = 80) -> Corpus:
    if tier == "app":
        return build_app_corpus(dest, domains)
    corpus = Corpus(tier, dest)
    for label, src, exclude in sources_for(tier):
        files = _py_files(src, exclude, corpus.left_out)
        # Packages keep their import names (the codemod derives dotted module names from
        # directories); the stdlib and site-packages trees go under stdlib/ and site_packages/.
        base = dest / label
        n_files = n_lines = 0
        for path in files:
            if limit is not None and len(corpus.files) >= limit:
                corpus.left_out["--limit-files"] = corpus.left_out.get("--limit-files", 0) + 1
                continue
            target = base / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            target.write_bytes(data)
            lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
            corpus.files.append(target)
            corpus.lines += lines
            corpus.bytes += len(data)
            n_files += 1
            n_lines += lines
        corpus.sources[label] = {"from": str(src), "files": n_files, "lines": n_lines}
    return _with_canary(corpus, dest)


# ---------------------------------------------------------------------------------------------
# Running commands


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
    """Run one whole command; wall time around ``subprocess.run``, child CPU from rusage.

    Output goes to files (opened before the clock starts), so a big flake8 report costs
    the same as it would in a terminal redirected to a file, and no pipe can block.
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
    orders = list(itertools.permutations(range(len(variants))))
    wall: dict[str, list[float]] = {v.name: [] for v in variants}
    cpu: dict[str, list[float]] = {v.name: [] for v in variants}
    codes: dict[str, list[int]] = {v.name: [] for v in variants}
    # Lines each run printed: a run that did less work than its peers shows up here.
    output_lines: dict[str, list[int]] = {v.name: [] for v in variants}
    order_log: list[list[str]] = []
    stderr_tail: dict[str, str] = {}
    for r in range(rounds):
        order = [variants[i] for i in orders[r % len(orders)]]
        order_log.append([v.name for v in order])
        for v in order:
            run = run_timed(v.cmd, cwd, out_dir, v.ok, v.env)
            if v.verify:
                v.verify(run)
            wall[v.name].append(run.wall)
            output_lines[v.name].append(run.output.count("\n"))
            cpu[v.name].append(run.cpu)
            codes[v.name].append(run.returncode)
            if run.returncode not in (0, 1):
                stderr_tail[v.name] = run.errors[-2000:]
        log(
            f"    round {r + 1}/{rounds}: "
            + ", ".join(f"{v.name} {wall[v.name][-1]:.2f}s" for v in order)
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


# ---------------------------------------------------------------------------------------------
# The three legs


def _expect_lines(run: Run, needle: str, present: bool, what: str) -> None:
    hit = any(CANARY_NAME in line and needle in line for line in run.output.splitlines())
    if hit != present:
        raise CommandFailed(
            f"{what}: expected the canary's {needle} line to be "
            f"{'present' if present else 'absent'}; the plugin toggle is not working"
        )


# Files in the instruction-count sample: about 1/8 of the small corpus. Under cachegrind a
# run is ~20x slower, so the whole corpus would take half an hour per variant. A corpus of
# up to WHOLE_LINES lines (the generated service: ~27k) is counted whole: a sample of it
# would charge the plugin's per-project cost (walking and reading the index of the whole
# project) to an eighth of the files flake8 checks.
SAMPLE_FILES = 128
WHOLE_LINES = 40_000
IREFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instruction_sample(corpus: Corpus) -> list[Path]:
    """Every k-th corpus file (sorted), about SAMPLE_FILES of them, and the canary; every
    file of a corpus of at most WHOLE_LINES lines."""
    files = sorted(corpus.files)
    if corpus.lines <= WHOLE_LINES:
        return files
    step = max(1, -(-len(files) // SAMPLE_FILES))
    sample = files[::step]
    canary = next(f for f in files if f.name == CANARY_NAME)
    return sample if canary in sample else [*sample, canary]


def instruction_counts(
    variants: Sequence[Variant],
    corpus: Corpus,
    out_dir: Path,
    log: Callable[[str], None],
    seeds: Sequence[int] = (0, 1),
) -> dict[str, Any]:
    """Instructions each flake8 variant executes over a fixed sample of the corpus, counted by
    valgrind (cachegrind without cache simulation), once per ``PYTHONHASHSEED`` in ``seeds``.

    Unlike wall time on a shared machine (two runs of the same flake8 command here differ by
    up to 40 %), a count repeats exactly for the same command, seed and paths. What still
    moves it is memory layout (when the collector runs, dict sizes): the baseline's change
    from one seed to the next shows how much, and the ratio is the mean over the seeds.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {"available": False, "reason": "valgrind not found (Debian: apt install valgrind)"}
    sample = instruction_sample(corpus)
    grind = [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    counts: dict[str, dict[int, int]] = {v.name: {} for v in variants}
    for seed in seeds:
        for v in variants:
            argv = [arg for arg in v.cmd if arg != "." and not arg.startswith("--jobs")]
            cmd = [*grind, *argv, "--jobs=1", *(str(p.relative_to(corpus.root)) for p in sample)]
            env = {**(v.env or os.environ), "PYTHONHASHSEED": str(seed)}
            run = run_timed(cmd, corpus.root, out_dir, v.ok, env)
            if v.verify:
                v.verify(run)
            found = IREFS.findall(run.errors)
            if not found:
                raise CommandFailed(f"no instruction count from valgrind: {run.errors[-1000:]}")
            counts[v.name][seed] = int(found[-1].replace(",", ""))
            log(
                f"    instructions {v.name}, seed {seed}: {counts[v.name][seed]:,} "
                f"({run.wall:.0f} s under valgrind)"
            )
    base = variants[0].name
    per_seed = {
        v.name: [counts[v.name][seed] / counts[base][seed] for seed in seeds] for v in variants[1:]
    }
    first, last = counts[base][seeds[0]], counts[base][seeds[-1]]
    return {
        "available": True,
        "tool": "valgrind --tool=cachegrind --cache-sim=no",
        "seeds": list(seeds),
        "sample_files": len(sample),
        "sample_lines": sum(p.read_bytes().count(b"\n") for p in sample),
        "counts": {name: statistics.mean(by_seed.values()) for name, by_seed in counts.items()},
        "counts_by_seed": {name: {str(k): n for k, n in c.items()} for name, c in counts.items()},
        "ratio_by_seed": per_seed,
        "ratio": {name: statistics.mean(ratios) for name, ratios in per_seed.items()},
        "baseline_seed_spread_pct": 100 * (last / first - 1),
    }


def flake8_leg(
    corpus: Corpus,
    rounds: int,
    jobs: str,
    work: Path,
    log: Callable[[str], None],
    seeds: Sequence[int] = (0, 1),
) -> dict[str, Any]:
    launcher = work / "flake8_launcher.py"
    launcher.write_text(LAUNCHER, encoding="utf-8")
    argv = [sys.executable, str(launcher), "--isolated", f"--jobs={jobs}", "."]
    drops = {
        "without": f"{OUR_DIST},{BUGBEAR_DIST}",
        "with_cel": BUGBEAR_DIST,
        "with_bugbear": OUR_DIST,
    }
    variants: list[Variant] = []
    for name, drop in drops.items():
        env = {**os.environ, "LINT_SPEED_DROP": drop}
        # --version must list exactly the plugins this variant is meant to load.
        version = subprocess.run(
            [sys.executable, str(launcher), "--version"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        has_cel, has_bb = OUR_DIST in version, BUGBEAR_DIST in version
        if (has_cel, has_bb) != (name == "with_cel", name == "with_bugbear"):
            raise CommandFailed(f"flake8 variant {name}: unexpected plugin list: {version}")

        def verify(run: Run, name: str = name) -> None:
            _expect_lines(run, " CEL0", name == "with_cel", f"flake8 {name}")
            _expect_lines(run, " B006", name == "with_bugbear", f"flake8 {name}")

        variants.append(
            Variant(name, argv, (0, 1), env, verify, env_diff={"LINT_SPEED_DROP": drop})
        )
    leg = alternate(variants, rounds, corpus.root, work, log)
    leg["jobs"] = jobs
    leg["method"] = (
        "same flake8 argv through one launcher that hides distributions from "
        "importlib.metadata.distributions() (LINT_SPEED_DROP); --version and the canary's "
        "CEL/B006 lines checked on every run"
    )
    cel = paired_ratio(leg, "with_cel", "without")
    leg["ratio"] = cel
    leg["ratio_cpu"] = paired_ratio(leg, "with_cel", "without", "cpu_s")
    leg["overhead_pct"] = (cel["median"] - 1) * 100
    leg["overhead_cpu_pct"] = (leg["ratio_cpu"]["median"] - 1) * 100
    bugbear = paired_ratio(leg, "with_bugbear", "without")
    leg["anchor_bugbear_ratio"] = bugbear
    leg["anchor_bugbear_ratio_cpu"] = paired_ratio(leg, "with_bugbear", "without", "cpu_s")
    leg["anchor_bugbear_overhead_pct"] = (bugbear["median"] - 1) * 100
    log("    instruction counts over a sample of the corpus ...")
    counted = leg["instructions"] = instruction_counts(variants, corpus, work, log, seeds)
    if counted["available"]:
        leg["overhead_instructions_pct"] = (counted["ratio"]["with_cel"] - 1) * 100
        leg["anchor_bugbear_overhead_instructions_pct"] = (
            counted["ratio"]["with_bugbear"] - 1
        ) * 100
    leg["budget"] = BUDGETS["flake8_plugin"]
    # Judged on the instruction count where valgrind is there: wall time cannot resolve 1 %.
    leg["judged_on"] = "instructions" if counted["available"] else "wall"
    leg["pass"] = leg.get("overhead_instructions_pct", leg["overhead_pct"]) <= 1.0
    leg["available"] = True
    return leg


def ruff_file_count(ruff: str, corpus: Corpus) -> int:
    proc = subprocess.run(
        [ruff, "check", "--isolated", "--no-cache", "--show-files", "."],
        cwd=corpus.root,
        capture_output=True,
        text=True,
        check=False,
    )
    return sum(1 for line in proc.stdout.splitlines() if line.strip().endswith(".py"))


def standalone_leg(
    corpus: Corpus, rounds: int, work: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    ours, ruff = find_tool("flake8-celery-async"), find_tool("ruff")
    if ours is None or ruff is None:
        missing = "flake8-celery-async" if ours is None else "ruff"
        return {"available": False, "reason": f"{missing} not found", "budget": None}
    seen = ruff_file_count(ruff, corpus)
    if seen != len(corpus.files):
        log(f"    note: ruff sees {seen} files, the corpus has {len(corpus.files)}")

    def verify_ours(run: Run) -> None:
        _expect_lines(run, " CEL0", True, "flake8-celery-async")

    variants = [
        Variant("standalone", [ours, "--isolated", "."], (0, 1, 3), None, verify_ours),
        Variant("ruff", [ruff, "check", "--isolated", "--no-cache", "--select", "ASYNC", "."]),
    ]
    leg = alternate(variants, rounds, corpus.root, work, log)
    leg["ruff_files_seen"] = seen
    leg["ratio"] = paired_ratio(leg, "standalone", "ruff")
    leg["ratio_cpu"] = paired_ratio(leg, "standalone", "ruff", "cpu_s")
    leg["budget"] = BUDGETS["standalone_vs_ruff"]
    leg["pass"] = leg["ratio"]["median"] <= 0.5
    leg["available"] = True
    return leg


def tyasync_leg(
    corpus: Corpus, rounds: int, work: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    """Our CLI cold (no cache: it is removed inside the timed command) and warm (the cache of
    the previous run, nothing changed) vs ty-async's ASYNC200 with the Celery patterns and
    ``--async200-transitive``."""
    ours, ty = find_tool("flake8-celery-async"), find_tool("ty-async")
    if ours is None or ty is None:
        missing = "flake8-celery-async" if ours is None else "ty-async (pip install ty-async)"
        return {"available": False, "reason": f"{missing} not found", "budget": None}
    cache = work / f"cache-{corpus.tier}"
    env_diff = {"CELERY_ASYNC_CACHE_DIR": str(cache)}
    env = {**os.environ, **env_diff}

    def verify_ours(run: Run) -> None:
        _expect_lines(run, " CEL0", True, "flake8-celery-async")

    cold = ["sh", "-c", 'rm -rf "$CELERY_ASYNC_CACHE_DIR" && exec "$0" --isolated .', ours]
    ty_cmd = [ty, ".", f"--async200-blocking-calls={TY_ASYNC_PATTERNS}", "--async200-transitive"]
    variants = [
        Variant("cold", cold, (0, 1, 3), env, verify_ours, env_diff),
        Variant("warm", [ours, "--isolated", "."], (0, 1, 3), env, verify_ours, env_diff),
        Variant("ty_async", ty_cmd),
    ]
    leg = alternate(variants, rounds, corpus.root, work, log)
    leg["ratio"] = paired_ratio(leg, "cold", "ty_async")
    leg["ratio_cpu"] = paired_ratio(leg, "cold", "ty_async", "cpu_s")
    leg["ratio_warm"] = paired_ratio(leg, "warm", "ty_async")
    leg["ratio_warm_cpu"] = paired_ratio(leg, "warm", "ty_async", "cpu_s")
    leg["budget"] = BUDGETS["tyasync_cold"]
    leg["budget_warm"] = BUDGETS["tyasync_warm"]
    leg["pass"] = leg["ratio"]["median"] <= 1.0
    leg["pass_warm"] = leg["ratio_warm"]["median"] <= 0.2
    leg["findings"] = {name: lines[-1] for name, lines in leg["output_lines"].items()}
    leg["available"] = True
    return leg


def codemod_available() -> tuple[str | None, str]:
    """The codemod's path, or None and why it cannot be benchmarked yet."""
    tool = find_tool("celery-async-codemod")
    if tool is None:
        return None, "celery-async-codemod is not installed"
    try:
        proc = subprocess.run(
            [tool, "--help"], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"celery-async-codemod --help failed: {e}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"celery-async-codemod --help exited {proc.returncode}: {last}"
    if "--check" not in proc.stdout:
        return None, "celery-async-codemod has no --check option yet"
    return tool, ""


def codemod_leg(
    corpus: Corpus, rounds: int, work: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    tool, reason = codemod_available()
    if tool is None:
        return {"available": False, "reason": reason, "budget": BUDGETS["codemod_vs_libcst"]}
    file_list = work / f"files-{corpus.tier}.txt"
    file_list.write_text("".join(f"{p}\n" for p in corpus.files), encoding="utf-8")
    loop = work / "libcst_loop.py"
    loop.write_text(LIBCST_LOOP, encoding="utf-8")

    def verify(run: Run) -> None:
        # --check lists the files it would rewrite (on stderr, pyupgrade's contract).
        if run.returncode not in (1, 4) or CANARY_NAME not in run.output + run.errors:
            raise CommandFailed(f"codemod --check did not report the canary: {run.errors[-500:]}")

    variants = [
        # 0: nothing to change, 1: something would change, 3: a file could not be parsed,
        # 4: an internal error on some file (a codemod bug; still timed, flagged in the table).
        # --runtime-module: the corpus has no app of its own to wire, and without one the
        # codemod leaves every call alone (it never writes a call that could raise).
        Variant(
            "codemod_check",
            [tool, "--isolated", "--check", "--runtime-module", "bench.celery_async", "."],
            (0, 1, 3, 4),
            None,
            verify,
        ),
        Variant("libcst_parse_loop", [sys.executable, str(loop), str(file_list)], (0,)),
    ]
    leg = alternate(variants, rounds, corpus.root, work, log)
    leg["libcst_loop"] = "one child process, libcst.parse_module(bytes) on every corpus file"
    leg["ratio"] = paired_ratio(leg, "codemod_check", "libcst_parse_loop")
    leg["ratio_cpu"] = paired_ratio(leg, "codemod_check", "libcst_parse_loop", "cpu_s")
    leg["budget"] = BUDGETS["codemod_vs_libcst"]
    leg["pass"] = leg["ratio"]["median"] <= 0.1
    leg["available"] = True
    return leg


# ---------------------------------------------------------------------------------------------
# In-process profile of the flake8 plugin (--profile)


def profile_plugin(corpus: Corpus, top: int = 25) -> dict[str, Any]:
    """cProfile the plugin's ``run`` over the corpus, the way flake8 calls it."""
    import ast

    from flake8_celery_async.plugin import Plugin
    from flake8_celery_async.rules import may_have_findings

    inputs: list[tuple[ast.Module, list[str], str]] = []
    for path in corpus.files:
        data = path.read_bytes()
        try:
            tree = ast.parse(data)
            text = data.decode(_encoding(data))
        except (SyntaxError, ValueError, UnicodeDecodeError, LookupError):
            continue
        inputs.append((tree, io.StringIO(text, newline="").readlines(), str(path)))
    # Plain timing first (no profiler overhead), then the profile.
    start = time.perf_counter()
    passed = 0
    for tree, lines, name in inputs:
        plugin = Plugin(tree, lines, name)
        if may_have_findings("".join(lines), plugin.settings):
            passed += 1
    text_check_s = time.perf_counter() - start
    start = time.perf_counter()
    findings = sum(len(list(Plugin(*args).run())) for args in inputs)
    plugin_s = time.perf_counter() - start
    profiler = cProfile.Profile()
    profiler.enable()
    for args in inputs:
        for _ in Plugin(*args).run():
            pass
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    by_tottime = out.getvalue()
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(top)
    return {
        "files": len(inputs),
        "files_passing_text_check": passed,
        "findings": findings,
        "plugin_run_s": plugin_s,
        "text_check_only_s": text_check_s,
        "import_time_s": plugin_import_time(),
        "top_tottime": by_tottime,
        "top_cumulative": out.getvalue(),
    }


def _encoding(data: bytes) -> str:
    import tokenize

    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def plugin_import_time(samples: int = 5) -> dict[str, float]:
    """Wall time of ``import flake8_celery_async.plugin`` in a fresh interpreter, vs bare."""

    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    once("import ast, argparse, flake8_celery_async.plugin")  # fill the bytecode cache
    bare = statistics.median(once("import ast, argparse") for _ in range(samples))
    plugin = statistics.median(
        once("import ast, argparse, flake8_celery_async.plugin") for _ in range(samples)
    )
    return {"bare_python_s": bare, "with_plugin_import_s": plugin, "import_s": plugin - bare}


# ---------------------------------------------------------------------------------------------
# Report


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def _git_line(result: dict[str, Any]) -> str:
    start, end = result.get("git_at_start"), result.get("git_at_end")
    if not start:
        return "unknown (no git)"
    line = f"commit {start['commit'][:10]}"
    if start["uncommitted_in_checker_or_codemod"]:
        line += " + uncommitted changes"
    if end and end != start:
        line += f" -> {end['commit'][:10]} by the end (changed during the run!)"
    return line


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(result: dict[str, Any]) -> str:
    m, s = result["machine"], result["settings"]
    out = [
        f"lint_speed  {result['started_utc']}",
        f"machine: {m['cpu_model']}, {m['cores']} cores, {m['implementation']} {m['python']}, "
        f"{m['platform']}",
        "tools: " + ", ".join(f"{k} {v}" for k, v in result["tools"].items()),
        f"rounds: {s['rounds']} (standalone/ruff: {s.get('standalone_rounds', s['rounds'])}, "
        f"codemod/libcst: {s['libcst_rounds']}), flake8 --jobs "
        f"{s['flake8_jobs']}, orders rotated, medians of per-round ratios [min-max]",
        f"bytecode: {s.get('bytecode', 'as the environment says')}",
        f"code under test: {_git_line(result)}",
    ]
    for tier, data in result["tiers"].items():
        c = data["corpus"]
        parts = ", ".join(f"{k} {v['files']}" for k, v in c["sources"].items())
        out.append(
            f"corpus {tier}: {c['files']:,} files, {c['lines']:,} lines ({parts})"
            + (f"; left out: {c['left_out']}" if c["left_out"] else "")
        )
    header = f"{'tier':<6} {'measurement':<36} {'A median':>10} {'B median':>10} "
    header += f"{'A/B wall':>22} {'A/B cpu':>9}  {'budget':<22} result"
    out += ["", header, "-" * len(header)]
    for tier, data in result["tiers"].items():
        legs = data["legs"]
        fl = legs["flake8_plugin"]
        if not fl.get("available"):
            out.append(f"{tier:<6} {'flake8 +CEL vs flake8':<36} not available: {fl['reason']}")
        else:
            for label, a, r, rc, verdict, budget in (
                (
                    "flake8 +CEL vs flake8",
                    "with_cel",
                    fl["ratio"],
                    fl["ratio_cpu"],
                    _verdict(fl["pass"]) if fl.get("judged_on", "wall") == "wall" else "(noise)",
                    fl["budget"],
                ),
                (
                    "flake8 +bugbear vs flake8 (anchor)",
                    "with_bugbear",
                    fl["anchor_bugbear_ratio"],
                    fl["anchor_bugbear_ratio_cpu"],
                    "",
                    "",
                ),
            ):
                med = fl["median_wall_s"]
                pct = f"{(r['median'] - 1) * 100:+.1f}% [{(r['min'] - 1) * 100:+.1f}.."
                pct += f"{(r['max'] - 1) * 100:+.1f}]"
                out.append(
                    f"{tier:<6} {label:<36} {_s(med[a]):>10} {_s(med['without']):>10} "
                    f"{pct:>22} {(rc['median'] - 1) * 100:>+8.1f}%  {budget:<22} {verdict}"
                )
                note = noise_note(fl) if a == "with_cel" else None
                if note:
                    out.append(note)
            out += instruction_lines(tier, fl)
        for key, label, a, b in (
            ("standalone_vs_ruff", "standalone vs ruff --select ASYNC", "standalone", "ruff"),
            (
                "codemod_vs_libcst",
                "codemod --check vs libcst loop",
                "codemod_check",
                "libcst_parse_loop",
            ),
        ):
            leg = legs[key]
            if not leg.get("available"):
                out.append(f"{tier:<6} {label:<36} not available: {leg['reason']}")
                continue
            r, rc, med = leg["ratio"], leg["ratio_cpu"], leg["median_wall_s"]
            ratio = f"{r['median']:.3f}x [{r['min']:.3f}..{r['max']:.3f}]"
            out.append(
                f"{tier:<6} {label:<36} {_s(med[a]):>10} {_s(med[b]):>10} {ratio:>22} "
                f"{rc['median']:>8.3f}x  {leg['budget']:<22} {_verdict(leg['pass'])}"
            )
            if key == "standalone_vs_ruff" and legs.get("standalone_vs_tyasync", {}).get(
                "available"
            ):
                out += tyasync_lines(tier, legs["standalone_vs_tyasync"])
            for name, codes in leg["exit_codes"].items():
                odd = sorted({c for c in codes if c not in (0, 1)})
                if odd:
                    out.append(
                        f"{'':<6}   ! {name} exited {odd} (3: unparsable file, 4: internal "
                        "error) - see stderr_tail_of_runs_exiting_not_0_or_1 in the JSON"
                    )
    for key, g in result.get("growth", {}).items():
        if g.get("available"):
            out.append(
                f"{'growth':<6} {key + ' large/small':<36} {'':>10} {'':>10} "
                f"{g['growth']:>21.3f}x {'':>9}  {BUDGETS['growth']:<22} {_verdict(g['pass'])}"
            )
        else:
            out.append(f"{'growth':<6} {key + ' large/small':<36} not available")
    prof = result.get("profile")
    if prof:
        imp, tier = prof["import_time_s"], result["settings"]["profile_tier"]
        out += [
            "",
            f"plugin profile ({tier} tier, in-process): {prof['files']} files, "
            f"{prof['files_passing_text_check']} pass the text check, "
            f"{prof['findings']} findings; Plugin.run total {_s(prof['plugin_run_s'])} "
            f"(of which the text check {_s(prof['text_check_only_s'])}); import "
            f"{imp['import_s'] * 1000:.0f} ms",
        ]
        if prof.get("direct_overhead_pct") is not None:
            out.append(
                f"direct estimate: (Plugin.run + import) / flake8's median without the plugin = "
                f"{prof['direct_overhead_pct']:+.2f} %  (flake8 --jobs 1 imports it once)"
            )
        out.append(prof["top_tottime"])
    return "\n".join(out)


def tyasync_lines(tier: str, leg: dict[str, Any]) -> list[str]:
    out = []
    med = leg["median_wall_s"]
    for label, a, r, rc, budget, ok in (
        ("standalone cold vs ty-async", "cold", leg["ratio"], leg["ratio_cpu"],
         leg["budget"], leg["pass"]),
        ("standalone warm vs ty-async", "warm", leg["ratio_warm"], leg["ratio_warm_cpu"],
         leg["budget_warm"], leg["pass_warm"]),
    ):  # fmt: skip
        ratio = f"{r['median']:.3f}x [{r['min']:.3f}..{r['max']:.3f}]"
        out.append(
            f"{tier:<6} {label:<36} {_s(med[a]):>10} {_s(med['ty_async']):>10} {ratio:>22} "
            f"{rc['median']:>8.3f}x  {budget:<22} {_verdict(ok)}"
        )
    found = leg.get("findings", {})
    out.append(
        f"{'':<6}   findings: ours {found.get('warm', '?')} lines, "
        f"ty-async {found.get('ty_async', '?')} lines"
    )
    return out


def instruction_lines(tier: str, leg: dict[str, Any]) -> list[str]:
    counted = leg.get("instructions")
    label = "flake8 +CEL vs flake8 (instructions)"
    if not counted:
        return []
    if not counted.get("available"):
        return [f"{tier:<6} {label:<36} not available: {counted['reason']}"]
    c, lines = counted["counts"], []
    for name, text, verdict in (
        ("with_cel", label, _verdict(leg["pass"]) if leg["judged_on"] == "instructions" else ""),
        ("with_bugbear", "flake8 +bugbear (instructions)", ""),
    ):
        pct = f"{(counted['ratio'][name] - 1) * 100:+.2f}%"
        budget = leg["budget"] if name == "with_cel" else ""
        lines.append(
            f"{tier:<6} {text:<36} {c[name] / 1e9:>9.2f}G {c['without'] / 1e9:>9.2f}G "
            f"{pct:>22} {'':>9}  {budget:<22} {verdict}"
        )
    seeds = counted.get("seeds", [0])
    lines.append(
        f"{'':<6}   {counted['sample_files']} of the corpus files ({counted['sample_lines']:,} "
        f"lines) under {counted['tool']}, PYTHONHASHSEED {', '.join(map(str, seeds))}"
        + (
            f" (mean of the per-seed ratios; the baseline moves {spread:+.2f} % between seeds, "
            "and loading a plugin moves when the collector runs: read a few tenths of a percent "
            "either way as nothing)"
            if len(seeds) > 1 and (spread := counted.get("baseline_seed_spread_pct")) is not None
            else ""
        )
    )
    return lines


def noise_note(leg: dict[str, Any]) -> str | None:
    """A warning when the per-round wall ratios spread wider than the 1 % budget."""
    r = leg["ratio"]
    spread = (r["max"] - r["min"]) * 100
    if spread <= 1.0:
        return None
    judged = (
        "the instruction count below"
        if leg.get("judged_on") == "instructions"
        else ("nothing: without valgrind the verdict above is the wall ratio's")
    )
    return (
        f"{'':<6}   ! per-round wall ratios spread {spread:.1f} points, wider than the 1 % "
        f"budget: this machine's noise, not the plugin, decides a wall verdict; judged on "
        f"{judged}"
    )


# ---------------------------------------------------------------------------------------------
# Main


def use_bytecode_cache(prefix: Path) -> str:
    """Let every child read and write ``.pyc`` files, under ``prefix`` (not beside sources).

    An installed package has its bytecode compiled at install time. With
    ``PYTHONDONTWRITEBYTECODE`` set (some CI and sandbox environments), an editable install
    would instead be compiled from source in every run, a cost that only the "with" variants
    pay. The warm-up runs fill the cache; the timed runs read it.
    """
    was = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    return "children write and read .pyc under a temp PYTHONPYCACHEPREFIX" + (
        " (PYTHONDONTWRITEBYTECODE was set here and is removed for them)" if was else ""
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--large", action="store_true", help="also run the large tier")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per leg (default 5)")
    parser.add_argument(
        "--libcst-rounds", type=int, default=3, help="rounds for codemod vs libcst (default 3)"
    )
    parser.add_argument(
        "--standalone-rounds",
        type=int,
        default=21,
        help="rounds for standalone vs ruff (default 21: a run takes a fraction of a second, "
        "and short runs on a shared machine need many)",
    )
    parser.add_argument(
        "--jobs", default="1", help="flake8 --jobs for every flake8 variant (default 1)"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    parser.add_argument("--limit-files", type=int, default=None, help="copy at most N files")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny run for tests: --limit-files 8 (unless given), 1 round of each leg",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the flake8 plugin in-process too"
    )
    parser.add_argument(
        "--table-from",
        type=Path,
        metavar="JSON",
        help="print the table of an earlier run's JSON and exit",
    )
    parser.add_argument(
        "--legs",
        default="flake8,standalone,tyasync,codemod",
        help="comma-separated legs to run (default: all four)",
    )
    parser.add_argument(
        "--app-domains",
        type=int,
        default=80,
        help="domains of the generated Celery-service tier (80: about 2,000 files; 0: no app "
        "tier; --smoke: 2)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.table_from:
        print(table(json.loads(args.table_from.read_text(encoding="utf-8"))))
        return 0
    if args.smoke:
        args.limit_files = args.limit_files or 8
        args.rounds = args.libcst_rounds = args.standalone_rounds = 1
        args.app_domains = 0 if "--app-domains" not in (argv or sys.argv) else args.app_domains
    legs = {x.strip() for x in args.legs.split(",") if x.strip()}

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    tiers = ["small", "large"] if args.large else ["small"]
    if args.app_domains > 0:
        tiers.append("app")
    result: dict[str, Any] = {
        "schema": 1,
        "command": [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])],
        "started_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine_info(),
        "git_at_start": git_state(),
        "tools": {
            name: dist_version(name)
            for name in ("flake8", OUR_DIST, BUGBEAR_DIST, "ruff", "libcst", "ty-async")
        },
        "settings": {
            "rounds": args.rounds,
            "libcst_rounds": args.libcst_rounds,
            "standalone_rounds": args.standalone_rounds,
            "flake8_jobs": args.jobs,
            "limit_files": args.limit_files,
            "legs": sorted(legs),
            "budgets": BUDGETS,
            "profile_tier": tiers[-1],
        },
        "tiers": {},
    }
    with tempfile.TemporaryDirectory(prefix="lint_speed-") as tmp:
        work = Path(tmp)
        result["settings"]["bytecode"] = use_bytecode_cache(work / "pycache")
        corpora: dict[str, Corpus] = {}
        for tier in tiers:
            log(f"building the {tier} corpus ...")
            corpus = corpora[tier] = build_corpus(
                tier, work / f"corpus-{tier}", args.limit_files, args.app_domains
            )
            log(f"  {len(corpus.files):,} files, {corpus.lines:,} lines")
            data: dict[str, Any] = {"corpus": corpus.summary(), "legs": {}}
            result["tiers"][tier] = data
            skipped = {"available": False, "reason": "not selected (--legs)", "budget": None}
            log("  flake8 with/without the plugin ...")
            seeds = (0,) if args.smoke else (0, 1)
            data["legs"]["flake8_plugin"] = (
                flake8_leg(corpus, args.rounds, args.jobs, work, log, seeds)
                if "flake8" in legs
                else skipped
            )
            log("  standalone vs ruff ...")
            data["legs"]["standalone_vs_ruff"] = (
                standalone_leg(corpus, args.standalone_rounds, work, log)
                if "standalone" in legs
                else skipped
            )
            log("  standalone cold/warm vs ty-async ...")
            data["legs"]["standalone_vs_tyasync"] = (
                tyasync_leg(corpus, args.standalone_rounds, work, log)
                if "tyasync" in legs
                else skipped
            )
            log("  codemod --check vs libcst parse loop ...")
            data["legs"]["codemod_vs_libcst"] = (
                codemod_leg(corpus, args.libcst_rounds, work, log) if "codemod" in legs else skipped
            )
            if data["legs"]["codemod_vs_libcst"].get("reason"):
                log(f"    {data['legs']['codemod_vs_libcst']['reason']}")
        if args.large:
            result["growth"] = growth(result["tiers"]["small"]["legs"], result["tiers"]["large"])
        if args.profile:
            log("  profiling the plugin in-process ...")
            result["profile"] = profile_plugin(corpora[tiers[-1]])
            fl = result["tiers"][tiers[-1]]["legs"]["flake8_plugin"]
            if fl.get("available") and args.jobs == "1":
                cost = result["profile"]["plugin_run_s"]
                cost += result["profile"]["import_time_s"]["import_s"]
                result["profile"]["direct_overhead_pct"] = (
                    100 * cost / fl["median_wall_s"]["without"]
                )
    result["git_at_end"] = git_state()
    result["finished_utc"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nJSON: {args.json}")
    return 0


def judged_ratio(leg: dict[str, Any]) -> float:
    """The ratio a leg's verdict rests on: the flake8 leg's instruction count if it has one."""
    if leg.get("judged_on") == "instructions":
        return float(leg["instructions"]["ratio"]["with_cel"])
    return float(leg["ratio"]["median"])


def growth(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("flake8_plugin", "standalone_vs_ruff", "codemod_vs_libcst"):
        a, b = small.get(key, {}), large["legs"].get(key, {})
        if a.get("available") and b.get("available"):
            ra, rb = judged_ratio(a), judged_ratio(b)
            g = rb / ra
            out[key] = {
                "available": True,
                "small_ratio": ra,
                "large_ratio": rb,
                "growth": g,
                "budget": BUDGETS["growth"],
                "pass": g <= 1.5,
            }
        else:
            out[key] = {"available": False}
    return out


if __name__ == "__main__":
    sys.exit(main())
