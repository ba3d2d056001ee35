"""Run the codemod on snapshots of real repositories and check what it wrote (a manual tool).

    python tests/codemod_sweep.py [--vendor] SNAPSHOT_DIR [SNAPSHOT_DIR ...]

Each snapshot (a repository's files, e.g. ``git archive HEAD | tar -x``) is copied into a
temporary git repository and the codemod runs on it: on ``.``, again on ``.`` (which must write
nothing), then, file by file, as the pre-commit fix hook does, on each file the full run fixed
calls in (from a clean copy). It reports, per repository: the exit status, internal errors,
files changed although nothing was fixable, files that no longer parse, the share of the
checker's CEL001-CEL004 findings the run fixed, every runtime import it added that does not
resolve (``celery_asyncx``: the installed library and the names it exports; with ``--vendor``:
the vendored package under a root the rewritten file's own absolute imports resolve from,
found by brute force over every folder, independently of the codemod's own root finding), and
whether a one-file run gives that file (and every other file it touches, e.g. the app it
wires) what the full run gave. Prints one JSON object per repository and a total; exits 1
when any check failed.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_KNOWN = frozenset({"celery", "kombu", "django", "fastapi", "starlette", "sanic", "aiohttp"})


def sh(*cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def codemod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return sh(sys.executable, "-m", "celery_async_codemod", "--isolated", *args, cwd=cwd)


def folders(root: Path) -> list[Path]:
    found = []
    for here, dirs, _ in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules", ".venv", "venv")]
        found.append(Path(here))
    return found


def resolves(folder: Path, module: str) -> bool:
    path = folder.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def roots_used(path: Path, dirs: list[Path]) -> set[Path]:
    """Folders from which exactly one of the file's absolute imports resolves."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return set()
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            continue
        for module in modules:
            top = module.partition(".")[0]
            if top in sys.stdlib_module_names or top in _KNOWN or "celery_async" in module:
                continue
            hits = [d for d in dirs if resolves(d, module)]
            if len(hits) == 1:
                roots.add(hits[0])
    return roots


def importers(target: Path, dirs: list[Path], files: list[Path]) -> set[Path]:
    """Folders from which another file imports ``target``."""
    roots = set()
    for file in files:
        try:
            tree = ast.parse(file.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                for d in dirs:
                    p = d.joinpath(*name.split("."))
                    if target in (p.with_suffix(".py"), p / "__init__.py"):
                        roots.add(d)
    return roots


def fresh(snapshot: Path, dest: Path) -> Path:
    shutil.copytree(snapshot, dest, symlinks=True)
    sh("git", "init", "-q", cwd=dest)
    sh("git", "add", "-A", cwd=dest)
    sh("git", "-c", "user.name=s", "-c", "user.email=s@s", "commit", "-qm", "s", cwd=dest)
    return dest


DISPATCH = ("CEL001", "CEL002", "CEL003", "CEL004")


def dispatch_findings(repo: Path) -> int:
    out = sh(sys.executable, "-m", "flake8_celery_async", "--isolated", "--format", "json", ".",
             cwd=repo).stdout  # fmt: skip
    try:
        return sum(f["code"] in DISPATCH for f in json.loads(out or "[]"))
    except json.JSONDecodeError:
        return -1


def library_import_problem(line: str) -> str | None:
    """``from celery_asyncx import a, b``: installed, and every name exported."""
    names = [n.strip() for n in line.split(" import ", 1)[1].split(",")]
    try:
        module = importlib.import_module("celery_asyncx")
    except ImportError:
        return "celery_asyncx is not installed"
    missing = [n for n in names if not hasattr(module, n)]
    return f"celery_asyncx has no {missing}" if missing else None


def sweep(snapshot: Path, work: Path, vendor: bool = False) -> dict[str, Any]:
    repo = fresh(snapshot, work / "full")
    mode = ["--vendor"] if vendor else []
    before = dispatch_findings(repo)
    report = work / "report.json"
    proc = codemod(*mode, "--report", str(report), ".", cwd=repo)
    data = json.loads(report.read_text()) if report.exists() else {}
    changed = [
        line[3:]
        for line in sh("git", "status", "--porcelain", "-uall", cwd=repo).stdout.splitlines()
    ]
    after = dispatch_findings(repo)
    result: dict[str, Any] = {
        "exit": proc.returncode,
        "fixed": data.get("fixed", {}),
        "dispatch_findings": before,
        "dispatch_left": after,
    }
    problems: list[str] = []
    if not data:
        problems.append(f"no report (exit {proc.returncode}): {proc.stderr[-300:]}")
    if proc.returncode == 4 or data.get("internal_errors"):
        problems.append(f"internal error: {data.get('internal_errors') or proc.stderr[-300:]}")
    if not data.get("fixed") and changed:
        problems.append(f"changed with nothing fixable: {changed}")
    for rel in changed:
        path = repo / rel
        if path.suffix == ".py" and path.is_file():
            try:
                ast.parse(path.read_bytes())
            except (SyntaxError, ValueError) as e:
                problems.append(f"{rel} no longer parses: {e}")
    sh("git", "add", "-A", cwd=repo)
    sh("git", "-c", "user.name=s", "-c", "user.email=s@s", "commit", "-qm", "run", cwd=repo)
    codemod(*mode, ".", cwd=repo)
    again = sh("git", "status", "--porcelain", "-uall", cwd=repo).stdout.splitlines()
    if again:
        problems.append(f"a second run changed {again}")
    dirs = folders(repo)
    files = [p for d in dirs for p in d.glob("*.py")]
    imports: list[dict[str, Any]] = []
    current: Path | None = None
    for line in sh("git", "diff", "-U0", "HEAD~1", cwd=repo).stdout.splitlines():
        if line.startswith("+++ b/"):
            current = repo / line[6:]
            continue
        if not (line.lstrip("+ ").startswith("from ") and current and line.startswith("+")):
            continue
        text = line[1:].strip()
        module = text.split()[1]
        if module == "celery_asyncx" and not vendor:
            imports.append({"file": str(current.relative_to(repo)), "module": module})
            problem = library_import_problem(text)
            if problem:
                problems.append(f"{current.relative_to(repo)}: {problem}")
            continue
        if "celery_asyncx" not in module:
            continue
        if module.startswith("."):
            dots = len(module) - len(module.lstrip("."))
            base = current.parents[dots - 1]
            ok = (base.joinpath(*module.lstrip(".").split(".")) / "__init__.py").is_file()
            imports.append({"file": str(current.relative_to(repo)), "module": module})
            if not ok:
                problems.append(f"{current.relative_to(repo)}: {module} does not resolve")
            continue
        roots = roots_used(current, dirs) or importers(current, dirs, files)
        good = [d for d in roots if (d.joinpath(*module.split(".")) / "__init__.py").is_file()]
        imports.append(
            {
                "file": str(current.relative_to(repo)),
                "module": module,
                "roots": sorted(str(d.relative_to(repo)) for d in roots),
            }
        )
        if roots and not good:
            problems.append(f"{current.relative_to(repo)}: {module} not under its roots")
    result["imports"] = imports
    partial: list[dict[str, Any]] = []
    wired = {os.path.normpath(p) for p in data.get("wired", [])}
    for rel in [os.path.normpath(p) for p in data.get("rewritten", [])]:
        # The app (changed for its tasks' sake) and a dependency file (the requirement line):
        # a run on one of them alone has nothing to fix.
        if rel in wired or not rel.endswith(".py"):
            continue
        one = fresh(snapshot, work / f"one-{len(partial)}")
        codemod(*mode, rel, cwd=one)
        touched = [
            ln[3:]
            for ln in sh("git", "status", "--porcelain", "-uall", cwd=one).stdout.splitlines()
        ]
        same = all(
            (one / t).is_file() and (one / t).read_bytes() == (repo / t).read_bytes()
            for t in [rel, *touched]
        )
        partial.append({"file": rel, "same_as_full_run": same})
        if not same:
            problems.append(f"{rel}: a one-file run differs from the full run")
    result["one_file_runs"] = partial
    result["problems"] = problems
    return result


def main(argv: list[str]) -> int:
    vendor = "--vendor" in argv
    failed = 0
    totals: dict[str, float] = {
        "repositories": 0,
        "fixed_calls": 0,
        "runtime_imports": 0,
        "one_file_runs": 0,
    }
    dispatch = [0, 0]
    for arg in (a for a in argv if a != "--vendor"):
        snapshot = Path(arg).resolve()
        with tempfile.TemporaryDirectory() as tmp:
            result = sweep(snapshot, Path(tmp), vendor)
        print(json.dumps({snapshot.name: result}))
        totals["repositories"] += 1
        totals["fixed_calls"] += sum(result["fixed"].values())
        totals["runtime_imports"] += len(result["imports"])
        totals["one_file_runs"] += len(result["one_file_runs"])
        dispatch[0] += max(0, result["dispatch_findings"])
        dispatch[1] += max(0, result["dispatch_left"])
        failed += bool(result["problems"])
    share = 1 - dispatch[1] / dispatch[0] if dispatch[0] else 1.0
    totals["cel001_4_fixed_share"] = round(share, 4)
    print(json.dumps({"total": totals, "repositories_with_problems": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
