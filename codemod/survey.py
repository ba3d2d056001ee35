"""The whole repository, cheaply: its files' bytes, layout (the checker's project model),
task and app sites, the runtimes of ours already vendored, and the web frameworks it imports.

Read once per run, from the repository root, also when only some files are given (the
pre-commit fix hook), so a one-file run sees what a full run sees.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from flake8_celery_async.project.files import discover
from flake8_celery_async.project.layout import Layout
from flake8_celery_async.project.repository import repository_root

from . import factory, project, runtime

# What makes a file worth an ast scan for tasks and apps (or a package that re-exports them).
CONTEXT = re.compile(
    rb"@\s*[\w.]*task\b|\bCelery\s*\(|CeleryAsync|create_celery_app|class\s+\w+\s*\([^)]*Task"
)
FRAMEWORK = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(fastapi|starlette|django|sanic|aiohttp|quart)\b", re.M
)


class Survey:
    """What the repository holds, read once: the planner's view of everything outside the
    files it fixes."""

    def __init__(
        self, paths: Sequence[str], given: list[str], exclude: Sequence[str], base: str
    ) -> None:
        self.paths = paths
        self.data: dict[str, bytes] = {}
        self.repo = repository_root(paths)
        given_abs = {os.path.abspath(p): p for p in given}
        walked = list(discover([self.repo], exclude, base=base, gitignore=True))
        seen = {os.path.abspath(p) for p in walked}
        walked += [p for p in given if os.path.abspath(p) not in seen]  # given, though excluded
        texts: dict[str, str] = {}
        modules: dict[str, project.Module] = {}
        self.ours: list[str] = []
        self.frameworks: dict[str, set[str]] = {}  # file -> web frameworks it imports
        self.names: dict[str, str] = {}  # absolute path -> the path as the user gave it
        for path in walked:
            absolute = os.path.abspath(path)
            shown = given_abs.get(absolute) or _shown(absolute, paths)
            self.names[absolute] = shown
            try:
                with open(absolute, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            self.data[absolute] = data
            if factory.is_ours(data) or runtime.is_vendored(data):
                if _is_runtime_init(absolute) and runtime.is_vendored(data):
                    self.ours.append(absolute)
                continue
            text = data.decode("utf-8", errors="replace")
            texts[absolute] = text
            found = set(FRAMEWORK.findall(text))
            if found:
                self.frameworks[absolute] = found
            if CONTEXT.search(data) or (absolute.endswith("__init__.py") and b"import" in data):
                module = project.scan(absolute, data)
                if module is not None:
                    modules[absolute] = module
        self.layout = Layout.build(self.repo, list(self.names), texts)
        self.project = project.Project(self.layout, modules, self.data)

    def show(self, path: str) -> str:
        return self.names.get(path) or _shown(path, self.paths)

    def runtime_for_app(self, app: str) -> tuple[str, str | None]:
        """(runtime path, why it cannot be used) for the app constructed in ``app``."""
        folder = os.path.join(os.path.dirname(app), runtime.PACKAGE)
        beside = os.path.join(folder, "__init__.py")
        if beside in self.ours:
            return beside, None
        reachable = [r for r in self.ours if self.layout.module_for(r, app)]
        if reachable:
            return min(reachable, key=depth), None
        if os.path.lexists(folder) or os.path.lexists(folder + ".py"):
            return beside, (
                f"--vendor: {self.show(folder)} exists and is not the runtime this tool vendors "
                f"(its __init__.py does not start with {runtime.MARKER.decode()!r})"
            )
        return beside, None

    def runtime_name(self, init: str) -> str:
        """The vendored runtime's dotted name as the modules beside it (its app's) import it."""
        here = os.path.dirname(os.path.dirname(init))
        for path in sorted(p for p in self.data if os.path.dirname(p) == here):
            name = self.layout.module_for(init, path)
            if name:
                return name
        return runtime.PACKAGE

    def frameworks_near(self, changed: list[str]) -> set[str]:
        """The web frameworks of the rewritten files, else of their top folders, else of the
        repository (a vendored library's framework is not the app's)."""
        paths = [os.path.abspath(p) for p in changed]

        def top(path: str) -> str:
            return os.path.relpath(path, self.repo).split(os.sep)[0]

        tops = {top(p) for p in paths}

        for near in (
            [v for f, v in self.frameworks.items() if f in paths],
            [v for f, v in self.frameworks.items() if top(f) in tops],
            list(self.frameworks.values()),
        ):
            if near:
                return set().union(*near)
        return set()


def depth(path: str) -> tuple[int, str]:
    return path.count(os.sep), path


def _shown(path: str, given: Sequence[str]) -> str:
    """A path as the user would write it: relative when they gave relative paths."""
    if any(os.path.isabs(p) for p in given):
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith(os.pardir) else rel


def _is_runtime_init(path: str) -> bool:
    return os.path.basename(path) == "__init__.py" and (
        os.path.basename(os.path.dirname(path)) == runtime.PACKAGE
    )
