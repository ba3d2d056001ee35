"""The corpora the lint benchmark times: the standard library plus the installed Celery,
kombu, FastAPI and Starlette packages (the small tier), the standard library plus all of
site-packages (the large tier), the generated Celery service (``gen_celery_app.py``), or a
copy of a tree named with ``--tree`` (a real service). Each gets one canary file whose CEL
and bugbear findings every timed run must report.

Only ``.py`` files of the library tiers are copied, and directories that any of the tools
excludes by default (``build``, ``dist``, ``venv``, ``__pycache__``, ...) are left out, so every
tool checks exactly the same files.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

PACKAGES = ("celery", "kombu", "fastapi", "starlette")
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


def build_tree_corpus(src: Path, dest: Path) -> Corpus:
    """A copy of a whole tree (a real service: its config files too, not its ``.git``), so
    the canary can be added and no cache lands in the original."""
    corpus = Corpus(src.name, dest)
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    for path in sorted(dest.rglob("*.py")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            corpus.files.append(path)
            corpus.lines += data.count(b"\n")
            corpus.bytes += len(data)
    corpus.sources[src.name] = {"from": str(src), "files": len(corpus.files), "lines": corpus.lines}
    return _with_canary(corpus, dest)


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
