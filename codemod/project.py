"""Which app a dispatched task belongs to: the repository's tasks and apps, found with ``ast``.

``await t.delayx()`` works only when ``t`` is a task of an app this run wires. The planner asks
:meth:`Project.task_app` for each receiver the checker reported (``send_email``,
``tasks.send_email``, ``app``): the name is followed through the importing file's imports to a
function decorated ``@<app>.task`` / ``@shared_task`` (or to ``<app> = Celery(...)`` itself for
``send_task``), and from there to the module constructing the app. Anything it cannot follow —
a parameter, ``self.app.tasks[name]``, an app from a library — is ``None``: that call gets
the form that works on every app, ``await run_blocking(t.delay, ...)``.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field

from flake8_celery_async.analysis.analyzer import dotted

from .roots import Layout

SHARED = "<shared_task>"
MAX_HOPS = 6


@dataclass
class Module:
    path: str
    imports: dict[str, tuple[str, str | None, int]] = field(default_factory=dict)
    """local name -> (module, imported name or None for ``import m``, relative level)."""
    tasks: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """task function name -> (app name in this module or SHARED, ``base=`` text or None)."""
    apps: set[str] = field(default_factory=set)
    """names bound to a ``Celery(...)``-like construction here."""
    constructs: bool = False
    """Constructs a Celery app somewhere (``self.app = app or Celery()`` too)."""
    task_bases: set[str] = field(default_factory=set)
    """classes declared here directly on ``celery.Task`` (rebased to AsyncTask when wired)."""


def scan(path: str, data: bytes, gate: bool = True) -> Module | None:
    """The tasks, apps and imports of one file (None when it has none of them). ``gate``: skip
    a file without the words a task or app definition needs (an importer has neither)."""
    if gate and b"task" not in data and b"Celery" not in data:
        return None
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    module = Module(path)
    celery_classes = {"Celery", "CeleryAsync"}
    task_names = {"celery.Task", "celery.app.task.Task", "AsyncTask"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("celery", "celery.app.task"):
            task_names |= {a.asname or a.name for a in node.names if a.name == "Task"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [dotted(b) or "" for b in node.bases]
            if any(b.rpartition(".")[2] in celery_classes for b in bases):
                celery_classes.add(node.name)
            if any(b in task_names or b.endswith(".AsyncTask") for b in bases):
                module.task_bases.add(node.name)
    factories = {  # module-level functions that construct and return an app
        node.name
        for node in (tree.body if b"Celery" in data else ())
        if isinstance(node, ast.FunctionDef) and _factory(node, celery_classes)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                module.imports[local] = (node.module or "", alias.name, node.level)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.imports[alias.asname] = (alias.name, None, 0)
                else:
                    top = alias.name.partition(".")[0]
                    module.imports.setdefault(top, (top, None, 0))
        elif isinstance(node, ast.Call) and _constructs(node, celery_classes):
            module.constructs = True
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            if _constructs(node.value, celery_classes | factories):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                module.apps |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                found = _task_decorator(decorator)
                if found is not None:
                    module.tasks[node.name] = found
    if not (
        module.tasks or module.apps or module.constructs or module.task_bases or module.imports
    ):
        return None
    return module


def _factory(node: ast.FunctionDef, celery_classes: set[str]) -> bool:
    inside = list(ast.walk(node))
    return any(isinstance(n, ast.Call) and _constructs(n, celery_classes) for n in inside) and any(
        isinstance(n, ast.Return) and n.value is not None for n in inside
    )


def _constructs(call: ast.Call, celery_classes: set[str]) -> bool:
    func = dotted(call.func) or ""
    return func.rpartition(".")[2] in celery_classes or func.endswith("create_celery_app")


def _task_decorator(node: ast.expr) -> tuple[str, str | None] | None:
    call = node if isinstance(node, ast.Call) else None
    name = dotted(call.func if call is not None else node) or ""
    base = None
    if call is not None:
        for kw in call.keywords:
            if kw.arg == "base":
                base = dotted(kw.value) or "?"
    head, _, last = name.rpartition(".")
    if last == "shared_task" or name == "task":
        return SHARED, base
    if last == "task" and head and "." not in head:
        return head, base
    return None


@dataclass(frozen=True)
class Found:
    """A receiver followed to its definition: the app module, and a task base to rebase."""

    app_path: str
    base_path: str | None = None
    shared: bool = False


class Project:
    def __init__(
        self, layout: Layout, modules: dict[str, Module], data: dict[str, bytes] | None = None
    ) -> None:
        """``modules``: the files with tasks or apps; ``data``: every file's bytes, for the
        others (scanned when an import leads there)."""
        self.layout = layout
        self.modules = modules
        self.data = data or {}
        self.apps = sorted(p for p, m in modules.items() if m.apps or m.constructs)

    def module(self, path: str) -> Module | None:
        if path not in self.modules and path in self.data:
            found = scan(path, self.data[path], gate=False)
            self.modules[path] = found if found is not None else Module(path)
        return self.modules.get(path)

    def app_sites(self) -> list[str]:
        return self.apps

    def task_app(self, path: str, receiver: str, send_task: bool = False) -> Found | str:
        """The app of the task ``receiver`` in ``path`` (``send_task``: the app itself), or
        why it cannot be told."""
        found = self._follow(path, receiver.split("."), 0)
        what = "app" if send_task else "task"
        if found is None or found[2] != what:
            return f"no {what} definition in the repository found for {receiver}"
        where, name, _ = found
        if send_task:
            return Found(where)
        app, base = self.modules[where].tasks[name]  # _follow scanned it
        base_path = None
        if base is not None:
            followed = self._follow(where, base.split("."), 0)
            if followed is None or followed[2] != "base":
                return f"its base={base} may not get the async methods"
            base_path = followed[0]
        if app == SHARED:
            sites = [s for s in self.app_sites() if not _is_test(s)]
            if len(sites) != 1:
                return f"a shared_task, and the repository has {len(sites)} Celery apps"
            return Found(sites[0], base_path, shared=True)
        followed = self._follow(where, app.split("."), 0)
        if followed is None or followed[2] != "app":
            return f"its app {app} is not constructed in the repository"
        return Found(followed[0], base_path)

    def _follow(self, path: str, parts: list[str], hops: int) -> tuple[str, str, str] | None:
        """(file, name, "task" | "app" | "base") that ``parts`` names in ``path``."""
        module = self.module(path)
        if module is None or hops > MAX_HOPS or not parts:
            return None
        head, rest = parts[0], parts[1:]
        if not rest:
            if head in module.tasks:
                return path, head, "task"
            if head in module.apps:
                return path, head, "app"
            if head in module.task_bases:
                return path, head, "base"
        imported = module.imports.get(head)
        if imported is None:
            return None
        source, name, level = imported
        if name is None and source != head:  # import a.b as m: the rest is a member of a.b
            target = self.layout.resolve(path, source)
            return None if target is None else self._follow(target, rest, hops + 1)
        if name is None:  # import a.b: the longest module the rest names, then its member
            for i in range(len(rest), 0, -1):
                target = self.layout.resolve(path, ".".join([head, *rest[: i - 1]]))
                if target is not None and target.endswith(".py"):
                    return self._follow(target, rest[i - 1 :], hops + 1)
            return None
        target = self.layout.resolve(path, source, level)
        if target is None:
            return None
        if not target.endswith(".py") or (
            target.endswith("__init__.py") and name not in self._names(target)
        ):
            sub = self.layout.resolve(path, f"{source}.{name}" if source else name, level)
            if sub is not None and sub.endswith(".py"):
                return self._follow(sub, rest, hops + 1)
            if not target.endswith(".py"):
                return None
        return self._follow(target, [name, *rest], hops + 1)

    def _names(self, path: str) -> set[str]:
        module = self.module(path)
        if module is None:
            return set()
        return set(module.tasks) | module.apps | module.task_bases | set(module.imports)


def _is_test(path: str) -> bool:
    parts = path.split(os.sep)
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(p in ("tests", "test", "testing", "docs", "examples") for p in parts[:-1])
    )


@dataclass(frozen=True)
class CallFacts:
    """What the planner needs to know about one finding's call, from the file's ``ast``."""

    receiver: str | None
    """``t`` of ``t.delay()`` as a dotted name (None: not a plain name chain)."""
    timeout: bool
    """The call passes ``timeout=`` (result waits)."""
    in_task: str | None
    """The enclosing function when it is itself a Celery task (a rewrite in a worker)."""
    text: str = ""
    """The receiver's source, shortened (for the summary)."""


def call_facts(data: bytes, spans: list[tuple[int, int, int, int]]) -> list[CallFacts]:
    """Facts for the calls at ``spans`` (ast line, column, end line, end column)."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [CallFacts(None, False, None) for _ in spans]
    wanted = set(spans)
    at: dict[tuple[int, int, int, int], CallFacts] = {}
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while stack:
        node, task = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            is_task = any(_task_decorator(d) for d in node.decorator_list)
            task = node.name if is_task else None
        elif isinstance(node, ast.Lambda | ast.ClassDef):
            task = None
        if isinstance(node, ast.Call | ast.Attribute):
            key = (node.lineno, node.col_offset, node.end_lineno or 0, node.end_col_offset or 0)
        if isinstance(node, ast.Call | ast.Attribute) and key in wanted and key not in at:
            func = node.func if isinstance(node, ast.Call) else node
            receiver = dotted(func.value) if isinstance(func, ast.Attribute) else None
            timeout = isinstance(node, ast.Call) and any(
                kw.arg == "timeout" or kw.arg is None for kw in node.keywords
            )
            text = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            at[key] = CallFacts(receiver, timeout, task, text if len(text) < 60 else "...")
        stack.extend((child, task) for child in ast.iter_child_nodes(node))
    return [at.get(span, CallFacts(None, False, None)) for span in spans]
