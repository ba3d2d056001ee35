"""The analysis: which Celery calls run on the event loop.

One iterative walk over the ``ast`` (no recursion, so deeply nested code cannot crash it) with
a stack of scope frames. A frame knows whether its code runs on the event loop (an ``async def``
body, and comprehensions inside it) and what the names bound in it are (a Celery result, a
canvas, an app, a multiprocessing pool, ...). Every call is classified once, on the loop or not:
on the loop it is a finding; inside a sync function it is remembered, so that a call of that
function from an ``async def`` can be reported as CEL007 once the walk is done.

This module imports only the standard library: flake8 imports it on every run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase

from .rules import BY_CODE
from .settings import Settings

# ---------------------------------------------------------------------------------------------
# What an expression is known to be.
RESULT, SIG, CANVAS, APP, CONTROL, INSPECT, NOT_CELERY, RESULTS = range(1, 9)
Kind = int | None
Action = Callable[[], None]
Stack = list[tuple["ast.AST | Action", "_Frame"]]

DISPATCH = frozenset({"delay", "apply_async"})
RESULT_METHODS = frozenset(
    [
        "get",
        "wait",
        "ready",
        "successful",
        "failed",
        "collect",
        "forget",
        "revoke",
        "join",
        "join_native",
        "completed_count",
        "waiting",
        "save",
        "delete",
    ]
)
RESULT_PROPERTIES = frozenset(
    [
        "state",
        "status",
        "result",
        "info",
        "traceback",
        "children",
        "date_done",
        "name",
        "args",
        "kwargs",
        "worker",
        "retries",
        "queue",
    ]
)
SIG_METHODS = frozenset({"s", "si", "signature", "subtask", "map", "starmap"})
SIG_FUNCS = frozenset({"signature", "subtask", "maybe_signature"})
CANVAS_FUNCS = frozenset({"chain", "group", "chord", "chunks"})
SIG_PRESERVING = frozenset({"clone", "set", "replace", "on_error", "set_immutable"})
RESULT_CTORS = frozenset({"AsyncResult", "GroupResult", "ResultSet"})
POOL_CTORS = frozenset(
    {"Pool", "ThreadPool", "ProcessPoolExecutor", "ThreadPoolExecutor", "get_context"}
)
# Calls whose direct arguments are awaitables: a dispatch-named call passed to one of these is
# a coroutine of some async library, not Celery's synchronous method.
CORO_CONSUMERS = frozenset(
    [
        "gather",
        "create_task",
        "ensure_future",
        "wait_for",
        "shield",
        "run_coroutine_threadsafe",
        "run_until_complete",
    ]
)
# Decorators that make a sync function run off the loop when called (it returns an awaitable).
OFFLOADING_DECORATORS = frozenset(
    {"sync_to_async", "database_sync_to_async", "run_in_threadpool", "to_thread", "asyncify"}
)
NOT_CELERY_MODULES = frozenset(
    {"asyncio", "trio", "anyio", "time", "pygame", "multiprocessing", "concurrent", "threading"}
)
OTHER_TASK_QUEUES = frozenset(
    [
        "taskiq",
        "flask_apscheduler",
        "arq",
        "dramatiq",
        "huey",
        "apscheduler",
        "rq",
        "saq",
        "procrastinate",
        "faststream",
        "prefect",
        "dagster",
        "streaq",
        "rocketry",
        "aiocron",
    ]
)
_APP_LIKE = re.compile(r"(^|_)(app|application)($|_)|celery", re.IGNORECASE)
_SIG_LIKE = re.compile(
    r"^(sigs?|signatures?|canvas|workflow|chain|group|chord|header|callback)$"
    r"|_(sigs?|signatures?|canvas|workflow|chain|group|chord)$|^(sig|signature|canvas)_",
    re.IGNORECASE,
)
_TASK_BASE = re.compile(r"Task$")

UNFIXABLE_GENEXP = "inside a generator expression: await there would make it an async generator"
UNFIXABLE_HELPER = "the blocking call is inside another function: make that function async"
UNFIXABLE_TASK = "the task must be rewritten as a plain def by hand"


class Finding:
    """One report. Positions are ``ast``'s: 1-based lines, 0-based UTF-8 byte columns.

    ``fix`` says how the codemod rewrites it: ``"method"`` (await the async method ``new``
    instead of ``method``), ``"helper"`` (await the runtime's ``run_blocking`` on the bound
    callable), or ``None`` with ``reason`` saying why it is not rewritten.

    A plain class (as are the checker's others): ``dataclasses`` and ``typing`` cost more to
    import than the standalone CLI spends on most files.
    """

    __slots__ = (
        "code", "col", "end_col", "end_line", "fix", "line", "message", "method", "new", "reason",
    )  # fmt: skip

    def __init__(
        self,
        line: int,
        col: int,
        end_line: int,
        end_col: int,
        code: str,
        message: str,
        method: str = "",
        new: str = "",
        fix: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.line, self.col, self.end_line, self.end_col = line, col, end_line, end_col
        self.code, self.message, self.method, self.new = code, message, method, new
        self.fix, self.reason = fix, reason

    def as_tuple(self) -> tuple[int, int, int, int, str, str, str, str, str | None, str | None]:
        return (
            *(self.line, self.col, self.end_line, self.end_col, self.code, self.message),
            *(self.method, self.new, self.fix, self.reason),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and self.as_tuple() == other.as_tuple()

    def __hash__(self) -> int:
        return hash(self.as_tuple())

    def __repr__(self) -> str:
        return f"Finding{self.as_tuple()!r}"


class _Func:
    """A sync function or method, for CEL007; its body is scanned only when an async def
    calls it (most sync code never is, and is then never classified)."""

    __slots__ = ("calls", "node", "parent", "scanned", "site", "skip")

    def __init__(self, node: ast.FunctionDef, parent: _Frame, skip: bool = False) -> None:
        self.node = node
        self.parent = parent  # the frame the def statement is in
        self.site: tuple[int, str] | None = None  # first blocking call inside it: (line, what)
        self.calls: list[tuple[ast.expr, _Frame]] = []
        self.skip = skip  # a generator, or offloaded by its decorator
        self.scanned = False


class _Frame:
    __slots__ = (
        "bases", "bindings", "cls", "defs", "func", "is_class", "on_loop", "parent", "unfixable",
    )  # fmt: skip

    def __init__(
        self,
        parent: _Frame | None,
        on_loop: bool,
        func: _Func | None = None,
        unfixable: str | None = None,
        is_class: bool = False,
        cls: _Frame | None = None,
    ) -> None:
        self.parent = parent
        self.on_loop = on_loop
        self.func = func
        self.unfixable = unfixable
        self.is_class = is_class
        self.cls = cls  # for a method: the frame of its class body
        self.bindings: dict[str, Kind] = {}
        self.defs: dict[str, _Func] = {}
        self.bases: tuple[str, ...] = ()


# Nodes with nothing below them that matters: never pushed on the walk's stack.
_LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    | {
        cls
        for base in (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
        for cls in base.__subclasses__()
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}
_SKIPPED_OFF_LOOP = (ast.expr, ast.withitem, ast.keyword, ast.comprehension, ast.arguments)


def _child_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that can hold child nodes (not ``ctx``, ``op``, names...)."""
    fields = _FIELDS.get(cls)
    if fields is None:
        skip = {"ctx", "op", "ops", "type_comment", "kind", "id", "attr", "name", "module",
                "level", "conversion", "arg", "is_async", "lineno", "simple"}  # fmt: skip
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in skip)
    return fields


_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _statement_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that hold statements (or handlers and match cases)."""
    fields = _STATEMENT_FIELDS.get(cls)
    if fields is None:
        names = ("body", "orelse", "finalbody", "handlers", "cases")
        fields = _STATEMENT_FIELDS[cls] = tuple(f for f in cls._fields if f in names)
    return fields


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names, else ``None``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def source(node: ast.expr, limit: int = 48) -> str:
    """A short, readable rendering of an expression for messages."""
    try:
        text = ast.unparse(node)
    except RecursionError:  # pragma: no cover - absurdly deep expressions
        text = "..."
    if len(text) <= limit:
        return text
    name = dotted(node)
    if name is not None:
        text = name
    elif isinstance(node, ast.Call):
        text = source(node.func, limit) + "(...)"
    elif isinstance(node, ast.Attribute):
        text = source(node.value, limit) + "." + node.attr
    elif isinstance(node, ast.Subscript):
        text = source(node.value, limit) + "[...]"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def callee_source(node: ast.expr) -> str:
    """``source`` for the callee of a call: operators need their parentheses back."""
    text = source(node)
    return f"({text})" if isinstance(node, ast.BinOp | ast.IfExp | ast.BoolOp | ast.Await) else text


class Analysis:
    """Walk one module's tree; ``findings`` holds the result."""

    def __init__(self, tree: ast.Module, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.findings: list[Finding] = []
        self.imports: dict[str, str] = {}  # local name -> "module" or "module.attr"
        self.other_queue = False
        self._awaited: set[int] = set()
        self._callees: set[int] = set()
        self._candidates: list[tuple[ast.Call, ast.expr, _Frame]] = []
        self._dispatch = DISPATCH | frozenset(self.settings.extra_dispatch)
        self._walk(tree)
        self._resolve_helpers()
        self.findings.sort(key=lambda f: (f.line, f.col, f.code))

    # -- the walk ------------------------------------------------------------------------------

    def _walk(self, tree: ast.Module) -> None:
        self.module = _Frame(None, on_loop=False)
        self._scanning = False
        self._handlers = self._handler_table()
        self._run([(tree, self.module)])

    def _scan(self, func: _Func) -> None:
        """Classify a sync function's body as if it ran on the loop (for CEL007).

        Nested functions, lambdas and classes are not entered: they do not run when it does,
        and the async defs among them were analyzed by the main walk.
        """
        func.scanned = True
        parent = func.parent
        inner = _Frame(parent, on_loop=False, func=func, cls=parent if parent.is_class else None)
        self._bind_parameters(func.node.args, inner)
        self._scanning = True
        try:
            self._run([(stmt, inner) for stmt in reversed(func.node.body)])
        finally:
            self._scanning = False

    def _run(self, stack: Stack) -> None:
        """The walk. Off the loop (and outside a scan) only statements are visited: no
        expression there can be a finding, and async defs are always statements."""
        handlers = self._handlers
        while stack:
            item, frame = stack.pop()
            if not isinstance(item, ast.AST):
                item()
                continue
            if not (frame.on_loop or frame.func) and isinstance(item, _SKIPPED_OFF_LOOP):
                continue
            handler = handlers.get(type(item))
            if handler is None:
                self._push_children(item, frame, stack)
                continue
            try:
                handler(item, frame, stack)
            except RecursionError:
                # A pathologically deep expression: skip its semantics, keep walking. Every
                # handler classifies before it pushes anything, so nothing is pushed twice.
                self._push_children(item, frame, stack)

    @staticmethod
    def _push_children(node: ast.AST, frame: _Frame, stack: Stack) -> None:
        if not (frame.on_loop or frame.func):  # off the loop: only nested statements matter
            for name in reversed(_statement_fields(type(node))):
                stack.extend((child, frame) for child in reversed(getattr(node, name)))
            return
        children: list[ast.AST] = []
        for name in _child_fields(type(node)):
            value = getattr(node, name, None)
            if isinstance(value, list):
                children.extend(
                    v for v in value if isinstance(v, ast.AST) and type(v) not in _LEAVES
                )
            elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
                children.append(value)
        stack.extend((child, frame) for child in reversed(children))

    def _handler_table(self) -> dict[type, Callable[..., None]]:
        return {
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._lambda,
            ast.ClassDef: self._class,
            ast.ListComp: self._comprehension,
            ast.SetComp: self._comprehension,
            ast.DictComp: self._comprehension,
            ast.GeneratorExp: self._comprehension,
            ast.Await: self._await,
            ast.Call: self._call,
            ast.Attribute: self._attribute,
            ast.Assign: self._assign,
            ast.AnnAssign: self._assign,
            ast.NamedExpr: self._assign,
            ast.For: self._for,
            ast.AsyncFor: self._for,
            ast.With: self._with,
            ast.AsyncWith: self._with,
            ast.Import: self._import,
            ast.ImportFrom: self._import,
            ast.Yield: self._yield,
            ast.YieldFrom: self._yield,
        }

    # -- scopes --------------------------------------------------------------------------------

    def _function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        is_async = isinstance(node, ast.AsyncFunctionDef)
        if isinstance(node, ast.FunctionDef):
            offloaded = any(self._is_offloading(d) for d in node.decorator_list)
            frame.defs[node.name] = _Func(node, frame, skip=offloaded)
        elif not self._scanning:
            self._check_async_task(node)
        if not self._scanning:
            inner = _Frame(frame, on_loop=is_async, cls=frame if frame.is_class else None)
            self._bind_parameters(node.args, inner, typed=is_async)
            stack.extend((stmt, inner) for stmt in reversed(node.body))
        args = node.args
        outer: list[ast.AST] = [*node.decorator_list, *args.defaults]
        outer += [d for d in args.kw_defaults if d is not None]
        stack.extend((n, frame) for n in reversed(outer))

    def _bind_parameters(self, args: ast.arguments, frame: _Frame, typed: bool = True) -> None:
        """Parameters shadow outer names; their annotations matter where code is classified."""
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                frame.bindings[arg.arg] = self._annotation_kind(arg.annotation) if typed else None

    def _lambda(
        self,
        node: ast.Lambda,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        if self._scanning:  # a lambda's body does not run when the function does
            stack.extend((d, frame) for d in reversed(node.args.defaults))
            return
        inner = _Frame(frame, on_loop=False)
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                inner.bindings[arg.arg] = None
        stack.append((node.body, inner))
        outer = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        stack.extend((n, frame) for n in reversed(outer))

    def _class(
        self,
        node: ast.ClassDef,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        if not self._scanning:
            inner = _Frame(frame, on_loop=False, is_class=True)
            inner.bases = tuple(filter(None, map(dotted, node.bases)))
            stack.extend((stmt, inner) for stmt in reversed(node.body))
        outer = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
        stack.extend((n, frame) for n in reversed(outer))

    def _comprehension(
        self,
        node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        # The first iterable is evaluated in the enclosing scope, the rest in the comprehension.
        # A generator expression runs lazily; on the loop, await would change what it is.
        genexp = isinstance(node, ast.GeneratorExp)
        unfixable = UNFIXABLE_GENEXP if genexp and frame.on_loop else frame.unfixable
        inner = _Frame(frame, on_loop=frame.on_loop, func=frame.func, unfixable=unfixable)
        inner.cls = frame.cls
        elts: list[ast.AST] = (
            [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        )
        rest: list[ast.AST] = []
        for i, gen in enumerate(node.generators):
            kind = RESULT if self._kind(gen.iter, inner if i else frame) == RESULTS else None
            for name in _target_names(gen.target):
                inner.bindings[name] = kind
            rest.append(gen.target)
            if i:
                rest.append(gen.iter)
            rest.extend(gen.ifs)
        stack.extend((n, inner) for n in reversed(rest + elts))
        stack.append((node.generators[0].iter, frame))

    def _yield(
        self,
        node: ast.Yield | ast.YieldFrom,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        if frame.func is not None:
            frame.func.skip = True  # calling a generator function runs none of its body
        self._push_children(node, frame, stack)

    # -- bindings ------------------------------------------------------------------------------

    def _import(
        self,
        node: ast.Import | ast.ImportFrom,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                self.imports[local] = alias.name if alias.asname else local
                self.other_queue |= alias.name.partition(".")[0] in OTHER_TASK_QUEUES
        else:
            module = node.module or ""
            self.other_queue |= module.partition(".")[0] in OTHER_TASK_QUEUES
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{module}.{alias.name}"

    def _assign(
        self,
        node: ast.Assign | ast.AnnAssign | ast.NamedExpr,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        targets_: list[ast.expr] = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not (frame.on_loop or frame.func) and frame is not self.module:
            # Inside a sync function, a local only matters as a closure of a nested async
            # def: shadowing is enough there (app- and pool-like names are judged by name).
            for target in targets_:
                self._bind(target, None, frame)
            return
        value = node.value
        kind = self._kind(value, frame) if value is not None else None
        if isinstance(node, ast.AnnAssign):
            kind = self._annotation_kind(node.annotation) or kind
            targets: list[ast.expr] = [node.target]
        elif isinstance(node, ast.NamedExpr):
            targets = [node.target]
        else:
            targets = node.targets
        pairs: list[tuple[ast.expr, Kind]] = []
        for target in targets:
            if (
                isinstance(target, ast.Tuple | ast.List)
                and isinstance(value, ast.Tuple | ast.List)
                and len(target.elts) == len(value.elts)
            ):
                pairs += [
                    (t, self._kind(v, frame)) for t, v in zip(target.elts, value.elts, strict=True)
                ]
            else:
                pairs.append((target, kind))

        def bind() -> None:
            for target, target_kind in pairs:
                self._bind(target, target_kind, frame)

        stack.append((bind, frame))
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            # A local variable's annotation is never evaluated: only the value runs.
            stack.extend((n, frame) for n in (node.value, node.target) if n is not None)
            return
        self._push_children(node, frame, stack)

    def _for(self, node: ast.For | ast.AsyncFor, frame: _Frame, stack: Stack) -> None:
        kind = RESULT if self._kind(node.iter, frame) == RESULTS else None
        stack.extend((stmt, frame) for stmt in reversed([*node.body, *node.orelse]))
        stack.append((lambda: self._bind(node.target, kind, frame), frame))
        stack.extend([(node.target, frame), (node.iter, frame)])

    def _with(
        self,
        node: ast.With | ast.AsyncWith,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        stack.extend((stmt, frame) for stmt in reversed(node.body))
        pairs = [(i.optional_vars, self._kind(i.context_expr, frame)) for i in node.items]

        def bind() -> None:
            for target, kind in pairs:
                if target is not None:
                    self._bind(target, kind, frame)

        stack.append((bind, frame))
        stack.extend((item, frame) for item in reversed(node.items))

    def _bind(self, target: ast.expr, kind: Kind, frame: _Frame) -> None:
        if isinstance(target, ast.Starred):
            target = target.value
        if isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._bind(elt, None, frame)
            return
        key = dotted(target)
        if key is not None:
            frame.bindings[key] = kind

    def _lookup(self, key: str, frame: _Frame | None) -> tuple[bool, Kind]:
        first = frame
        while frame is not None:
            if (frame is first or not frame.is_class) and key in frame.bindings:
                return True, frame.bindings[key]
            frame = frame.parent
        return False, None

    # -- what an expression is -----------------------------------------------------------------

    def _kind(self, node: ast.expr, frame: _Frame) -> Kind:
        if isinstance(node, ast.Name | ast.Attribute):
            key = dotted(node)
            if key is not None:
                found, kind = self._lookup(key, frame)
                if found:
                    return kind
            if isinstance(node, ast.Name):
                origin = self.imports.get(node.id, "")
                if origin in ("celery.current_app", "celery.app.current_app"):
                    return APP
                return None
            if node.attr == "control" and self._is_app(node.value, frame):
                return CONTROL
            if node.attr in ("parent", "results") and self._kind(node.value, frame) == RESULT:
                return RESULT if node.attr == "parent" else RESULTS
            return None
        if isinstance(node, ast.Call):
            return self._call_kind(node, frame)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            if self._is_canvas(node.left, frame) or self._is_canvas(node.right, frame):
                return CANVAS
            return None
        if isinstance(node, ast.Await):
            return self._awaited_kind(node.value, frame)
        if isinstance(node, ast.IfExp):
            return self._kind(node.body, frame) or self._kind(node.orelse, frame)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):  # [t.delay(i) for i in xs]
            return RESULTS if self._kind(node.elt, frame) == RESULT else NOT_CELERY
        if (
            isinstance(node, ast.List | ast.Tuple)
            and node.elts
            and all(self._kind(e, frame) == RESULT for e in node.elts)
        ):
            return RESULTS
        if isinstance(
            node,
            ast.Constant
            | ast.JoinedStr
            | ast.List
            | ast.Dict
            | ast.Set
            | ast.Tuple
            | ast.ListComp
            | ast.DictComp
            | ast.SetComp,
        ):
            return NOT_CELERY
        return None

    def _call_kind(self, node: ast.Call, frame: _Frame) -> Kind:
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            origin = self.imports.get(name, "")
            celery_origin = origin.startswith("celery")
            real = origin.rpartition(".")[2] if celery_origin else name
            if real in RESULT_CTORS and not origin.startswith(("multiprocessing", "concurrent")):
                return RESULT
            if name == "list" and node.args:
                return RESULTS if self._kind(node.args[0], frame) == RESULTS else None
            if real in SIG_FUNCS and (not origin or celery_origin):
                return SIG
            if real in CANVAS_FUNCS and celery_origin:
                return CANVAS
            if "celery" in name.lower():  # Celery(...), make_celery(...), create_celery_app(...)
                return APP
            if name in POOL_CTORS:
                return NOT_CELERY
            return None
        if isinstance(func, ast.Attribute):
            attr = func.attr
            if attr in self._dispatch or attr == "send_task":
                return RESULT if self._plausible_dispatch(node, attr, func.value, frame) else None
            if attr == "chunks":
                return CANVAS
            if attr in RESULT_CTORS:
                return RESULT
            if attr == "restore" and dotted(func.value) in ("GroupResult", "result.GroupResult"):
                return RESULT
            if attr in SIG_METHODS:
                return SIG
            if attr in CANVAS_FUNCS and dotted(func.value) in ("celery", "canvas", "celery.canvas"):
                return CANVAS
            if attr in SIG_PRESERVING:
                kind = self._kind(func.value, frame)
                if kind in (SIG, CANVAS):
                    return kind
            if attr == "inspect" and self._kind(func.value, frame) == CONTROL:
                return INSPECT
            if attr.endswith("Celery"):
                return APP
            if attr in POOL_CTORS:
                return NOT_CELERY
            return None
        if isinstance(func, ast.Call | ast.BinOp | ast.Name) and self._calls_canvas(func, frame):
            return RESULT
        return None

    def _awaited_kind(self, node: ast.expr, frame: _Frame) -> Kind:
        """``await t.delayx()`` and ``await asyncio.to_thread(t.delay, ...)`` give results."""
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in self.settings.async_names:
            return RESULT
        refs: list[ast.expr] = list(node.args[:2])
        if isinstance(func, ast.Call):  # sync_to_async(t.delay)(...)
            refs += func.args[:1]
        for ref in refs:
            if isinstance(ref, ast.Attribute) and (
                ref.attr in self._dispatch or ref.attr == "send_task"
            ):
                return RESULT
        return None

    def _annotation_kind(self, node: ast.expr | None) -> Kind:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:  # a string annotation: "AsyncResult | None"
                return self._annotation_kind(ast.parse(node.value, mode="eval").body)
            except (SyntaxError, ValueError):
                return None
        text = dotted(node) or ""
        if not text:
            for sub in ast.walk(node):  # Optional[AsyncResult], AsyncResult | None
                if isinstance(sub, ast.Name | ast.Attribute) and (
                    kind := self._annotation_kind(sub)
                ):
                    return kind
            return None
        last = text.rpartition(".")[2]
        if last in RESULT_CTORS:
            return RESULT
        if last == "EagerResult":
            return NOT_CELERY
        if last == "Signature":
            return SIG
        if last in ("chain", "group", "chord", "chunks", "_chain"):
            return CANVAS
        if last.endswith("Celery"):
            return APP
        return None

    def _is_canvas(self, node: ast.expr, frame: _Frame) -> bool:
        """A signature or canvas: ``t.s()``, ``chain(...)``, ``a | b``, or a name bound to one."""
        if self._kind(node, frame) in (SIG, CANVAS):
            return True
        if isinstance(node, ast.Call):
            name = dotted(node.func) or ""
            return name.rpartition(".")[2] in CANVAS_FUNCS
        return False

    def _calls_canvas(self, func: ast.expr, frame: _Frame) -> bool:
        """Is ``func(...)`` a call of a chain, group, chord or chunks (which dispatches)?"""
        return self._kind(func, frame) == CANVAS

    def _is_app(self, node: ast.expr, frame: _Frame) -> bool:
        if self._kind(node, frame) == APP:
            return True
        name = dotted(node)
        return name is not None and _APP_LIKE.search(name.rpartition(".")[2]) is not None

    def _is_offloading(self, decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = dotted(target) or ""
        return name.rpartition(".")[2] in OFFLOADING_DECORATORS

    # -- calls and attribute reads ------------------------------------------------------------

    def _await(
        self,
        node: ast.Await,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        self._awaited.add(id(node.value))
        stack.append((node.value, frame))

    def _call(
        self,
        node: ast.Call,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        func = node.func
        self._callees.add(id(func))
        name = dotted(func)
        if name is not None and name.rpartition(".")[2] in CORO_CONSUMERS:
            for arg in node.args:
                if isinstance(arg, ast.Starred) and isinstance(
                    arg.value, ast.ListComp | ast.GeneratorExp
                ):
                    arg = arg.value.elt
                self._awaited.add(id(arg))
        if (frame.on_loop or frame.func is not None) and id(node) not in self._awaited:
            self._classify_call(node, frame)
        self._push_children(node, frame, stack)

    def _attribute(
        self,
        node: ast.Attribute,
        frame: _Frame,
        stack: Stack,
    ) -> None:
        if (
            node.attr in RESULT_PROPERTIES
            and isinstance(node.ctx, ast.Load)
            and id(node) not in self._callees
            and (frame.on_loop or frame.func is not None)
            and self._kind(node.value, frame) == RESULT
        ):
            recv = source(node.value)
            fix = f'await {self.settings.read_helper}({recv}, "{node.attr}")'
            self._report(
                node, frame, "CEL005", f"{recv}.{node.attr}", fix, method=node.attr, fix="read"
            )
        stack.append((node.value, frame))

    def _classify_call(self, node: ast.Call, frame: _Frame) -> None:
        func = node.func
        helper = self.settings.helper
        if isinstance(func, ast.Attribute):
            attr, recv = func.attr, func.value
            recv_text = source(recv)
            if attr in self._dispatch or attr == "send_task":
                if not self._plausible_dispatch(node, attr, recv, frame):
                    return
                what = f"{recv_text}.{attr}()"
                if self._is_canvas(recv, frame) or self._sig_like(recv, frame):
                    fix = f"await {helper}({recv_text}.{attr}, ...)"
                    self._report(node, frame, "CEL004", what, fix, method=attr, fix="helper")
                    return
                if attr == "send_task":
                    code, new = "CEL003", self.settings.send_task_name
                elif attr == "apply_async":
                    code, new = "CEL002", self.settings.apply_async_name
                elif attr == "delay":
                    code, new = "CEL001", self.settings.delay_name
                else:  # a user's extra dispatch name: no async method, offload it
                    fix = f"await {helper}({recv_text}.{attr}, ...)"
                    self._report(node, frame, "CEL001", what, fix, method=attr, fix="helper")
                    return
                fix_text = f"await {recv_text}.{new}(...)"
                self._report(node, frame, code, what, fix_text, method=attr, new=new, fix="method")
                return
            kind = self._kind(recv, frame)
            if kind == RESULT and attr in RESULT_METHODS:
                what = f"{recv_text}.{attr}()"
                fix = f"await {helper}({recv_text}.{attr}, ...)"
                self._report(node, frame, "CEL005", what, fix, method=attr, fix="helper")
                return
            if (kind == CONTROL and attr != "inspect") or kind == INSPECT:
                what = f"{recv_text}.{attr}()"
                fix = f"await {helper}({recv_text}.{attr}, ...)"
                self._report(node, frame, "CEL006", what, fix, method=attr, fix="helper")
                return
        if self._calls_canvas(func, frame):
            what = f"{callee_source(func)}()"
            fix = f"await {helper}({source(func)}, ...)"
            self._report(node, frame, "CEL004", what, fix, method="__call__", fix="helper")
            return
        if frame.on_loop and (isinstance(func, ast.Name) or _is_self_attr(func)):
            self._candidates.append((node, func, frame))
        elif frame.func is not None and (isinstance(func, ast.Name) or _is_self_attr(func)):
            frame.func.calls.append((func, frame))

    def _plausible_dispatch(self, node: ast.Call, attr: str, recv: ast.expr, frame: _Frame) -> bool:
        """Is ``recv.attr(...)`` plausibly Celery's dispatch (and not a look-alike)?"""
        if self._kind(recv, frame) in (NOT_CELERY, RESULT, RESULTS, CONTROL, INSPECT):
            return False
        recv_name = dotted(recv)
        text = recv_name if recv_name is not None else source(recv, 200)
        if any(fnmatchcase(text, pattern) for pattern in self.settings.ignore_receivers):
            return False
        if recv_name is not None:
            root = recv_name.partition(".")[0]
            origin = self.imports.get(root, "")
            if origin.partition(".")[0] in NOT_CELERY_MODULES:
                return False
            if recv_name in ("self", "cls"):
                cls = frame.cls
                return (
                    cls is not None
                    and attr not in cls.defs
                    and any(_TASK_BASE.search(b) for b in cls.bases)
                )
            if recv_name == "super":  # pragma: no cover - super is a call, never a name
                return False
        if attr == "apply_async":
            last = (recv_name or "").rpartition(".")[2].lower()
            if "pool" in last or "executor" in last:
                return False
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Lambda):
                return False
            if isinstance(first, ast.Name) and self._defined_function(first.id, frame):
                return False  # multiprocessing's pool.apply_async(func, args)
        return True

    def _defined_function(self, name: str, frame: _Frame | None) -> bool:
        while frame is not None:
            if name in frame.defs:
                return True
            frame = frame.parent
        return False

    def _sig_like(self, recv: ast.expr, frame: _Frame) -> bool:
        """An unknown local whose name says it is a signature (``sig``, ``workflow``...)."""
        if not isinstance(recv, ast.Name):
            return False
        found, kind = self._lookup(recv.id, frame)
        return (not found or kind is None) and _SIG_LIKE.search(recv.id) is not None

    def _check_async_task(self, node: ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = dotted(target)
            if name is None:
                continue
            last = name.rpartition(".")[2]
            if last == "shared_task" or (
                last == "task" and "." in name and self._is_celery_app_for_task(target)
            ):
                self._report(node, None, "CEL008", node.name, "", reason=UNFIXABLE_TASK)
                return

    def _is_celery_app_for_task(self, target: ast.expr) -> bool:
        assert isinstance(target, ast.Attribute)
        recv = target.value
        kind = self._kind(recv, self.module)
        if kind == APP:
            return True
        if kind is not None or self.other_queue:
            return False  # known to be something else, or another task queue is in use
        name = dotted(recv) or ""
        if self._lookup(name, self.module)[0]:  # bound here to a call we cannot classify
            return _APP_LIKE.search(name.rpartition(".")[2]) is not None
        return "broker" not in name.lower()  # TaskIQ's @broker.task

    # -- reports -------------------------------------------------------------------------------

    def _report(
        self,
        node: ast.expr | ast.stmt,
        frame: _Frame | None,
        code: str,
        what: str,
        fix_text: str,
        *,
        method: str = "",
        new: str = "",
        fix: str | None = None,
        reason: str | None = None,
        line: int = 0,
    ) -> None:
        """Record a finding. In a scanned sync function (``frame`` off the loop) only remember
        the first blocking site, for CEL007; ``frame`` is None for module-level rules."""
        if frame is not None and not frame.on_loop:
            if frame.func is not None and frame.func.site is None:
                frame.func.site = (node.lineno, what)
            return
        if fix is not None and frame is not None and frame.unfixable is not None:
            fix, reason = None, frame.unfixable
        message = BY_CODE[code].message.format(what=what, fix=fix_text, line=line)
        self.findings.append(
            Finding(
                node.lineno,
                node.col_offset,
                node.end_lineno or node.lineno,
                node.end_col_offset or node.col_offset,
                code,
                message,
                method,
                new,
                fix,
                reason,
            )
        )

    def _resolve_helpers(self) -> None:
        """CEL007: calls from the loop of sync functions that block (directly or transitively)."""
        memo: dict[int, tuple[int, str] | None] = {}

        def blocking_site(func: _Func) -> tuple[int, str] | None:
            key = id(func)
            if key in memo:
                return memo[key]
            memo[key] = None  # cycles: assume not blocking while computing
            if not func.scanned:
                self._scan(func)
            site = None
            if not func.skip:
                site = func.site
                for callee, where in func.calls:
                    if site is not None:
                        break
                    target = self._resolve(callee, where)
                    if target is not None:
                        site = blocking_site(target)
            memo[key] = site
            return site

        for node, callee, frame in self._candidates:
            target = self._resolve(callee, frame)
            if target is None:
                continue
            site = blocking_site(target)
            if site is not None:
                what = source(callee)
                fix_text = f"await {self.settings.helper}({what}, ...)"
                self._report(
                    node, None, "CEL007", what, fix_text, reason=UNFIXABLE_HELPER, line=site[0]
                )

    def _resolve(self, callee: ast.expr, frame: _Frame) -> _Func | None:
        if isinstance(callee, ast.Attribute):  # self.helper(), cls.helper()
            cls = frame.cls
            return cls.defs.get(callee.attr) if cls is not None else None
        assert isinstance(callee, ast.Name)
        scope: _Frame | None = frame
        while scope is not None:
            if not scope.is_class:
                if callee.id in scope.defs:
                    return scope.defs[callee.id]
                if callee.id in scope.bindings:
                    return None  # a local variable or parameter shadows it
            scope = scope.parent
        return None


def _is_self_attr(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    )


def _target_names(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from _target_names(elt)
    elif isinstance(node, ast.Starred):
        yield from _target_names(node.value)


def analyze(tree: ast.Module, settings: Settings | None = None) -> list[Finding]:
    """All findings in a parsed module, sorted by position."""
    return Analysis(tree, settings).findings


def analyze_source(source_code: str | bytes, settings: Settings | None = None) -> list[Finding]:
    """Parse and analyze (raises ``SyntaxError``/``ValueError`` on bad input)."""
    return analyze(ast.parse(source_code), settings)
