"""The analysis: which Celery calls run on the event loop.

One iterative walk over the ``ast`` (no recursion, so deeply nested code cannot crash it) with
a stack of scope frames (``scopes``). A frame knows whether its code runs on the event loop (an
``async def`` body, comprehensions inside it, a sync Tornado handler method) and what the
names bound in it are (``kinds``). Every call is classified once, on the loop or not, by the
rule families' detection functions (``rules``): on the loop it is a finding; inside a sync
function it is remembered, so that a call of that function from the loop can be reported as
CEL007 once the walk is done. With a project index (``project``), names imported from other
modules of the project resolve to what they are there.

This module imports only the standard library: flake8 imports it on every run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..findings import UNFIXABLE_GENEXP, UNFIXABLE_TORNADO, Finding
from ..rules import BY_CODE, HOOKS
from ..rules.dispatch import plausible_dispatch
from ..scopes.bindings import Bindings, Stack, push_children
from ..scopes.context import Via
from ..scopes.frames import Frame, Func
from ..scopes.inference import kind_of
from ..scopes.kinds import CORO_CONSUMERS, DISPATCH, Kind, MaybeKind, annotation_kind, is_offloading
from ..scopes.resolver import annotated_class, is_candidate
from ..settings import Settings
from ..syntax.nodes import (
    defaults,
    dotted,
    parameter_defaults,
    parameters,
    source,
    target_names,
)

if False:  # for type checkers only
    from ..scopes.context import ModuleContext

__all__ = [
    "UNFIXABLE_GENEXP", "UNFIXABLE_TORNADO", "Analysis", "Finding", "Kind", "analyze",
    "analyze_source", "dotted", "source",
]  # fmt: skip
_ON_CALL, _ON_ATTRIBUTE = HOOKS["call"], HOOKS["attribute"]

_SKIPPED_OFF_LOOP = (ast.expr, ast.withitem, ast.keyword, ast.comprehension, ast.arguments)
TORNADO_HANDLERS = frozenset({"tornado.web.RequestHandler", "tornado.websocket.WebSocketHandler"})
TORNADO_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "prepare", "on_finish"}
)


class Analysis(Bindings):
    """Walk one module's tree; ``findings`` holds the result.

    ``context`` is this module's view of the project index (``project.ModuleContext``), or
    ``None`` for a file on its own.
    """

    def __init__(
        self,
        tree: ast.Module,
        settings: Settings | None = None,
        context: ModuleContext | None = None,
        record: bool = False,
    ) -> None:
        self.settings = settings or Settings()
        self.recording = record  # for the project index: call sites, signatures, returns
        self.call_sites: list[tuple[str, list[int], dict[str, int], bool]] = []
        self.recorded: set[int] = set()
        self.signatures: dict[str, list[str]] = {}
        self.async_returns: dict[str, list[MaybeKind]] = {}
        self.return_annotations: dict[str, ast.expr] = {}  # qualname -> its ``-> X``
        self.context = context
        self.findings: list[Finding] = []
        self.other_queue = False
        self.async_pool = context is not None and context.async_pool
        self.nonblocking_producer = context is not None and context.nonblocking_producer
        self.dispatch = DISPATCH | frozenset(self.settings.extra_dispatch)
        self.candidates: list[tuple[ast.Call, ast.expr, Frame]] = []
        self.helper_memo: dict[int, Via | None] = {}
        self.classes: dict[str, Frame] = {}  # module-level class name -> its body's frame
        self.toplevel: set[str] = set()  # names of module-level defs and classes
        self.instances: dict[str, str] = {}  # module-level service = Service(...)
        self._awaited: set[int] = set()
        self._callees: set[int] = set()
        self.module = Frame(None, on_loop=False)
        self._scanning = False
        self._handlers = self._handler_table()
        self._async_defs: list[ast.AsyncFunctionDef] = []
        self._run([(tree, self.module)])
        for node in self._async_defs:  # once every import is known (an asyncio pool's too)
            for hook in HOOKS["async_def"]:
                hook(self, node)
        for hook in HOOKS["end"]:
            hook(self)
        self.findings.sort(key=lambda f: (f.line, f.col, f.code))

    # -- the walk ------------------------------------------------------------------------------

    def scan(self, func: Func) -> None:
        """Classify a sync function's body as if it ran on the loop (for CEL007).

        Nested functions, lambdas and classes are not entered: they do not run when it does,
        and the async defs among them were analyzed by the main walk.
        """
        func.scanned = True
        parent = func.parent
        inner = Frame(parent, on_loop=False, func=func, cls=parent if parent.is_class else None)
        self._bind_parameters(func.node.args, inner, func.qualname)
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
                push_children(item, frame, stack)
                continue
            try:
                handler(item, frame, stack)
            except RecursionError:
                # A pathologically deep expression: skip its semantics, keep walking. Every
                # handler classifies before it pushes anything, so nothing is pushed twice.
                push_children(item, frame, stack)

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
            ast.ExceptHandler: self._except,
            ast.Import: self._import,
            ast.ImportFrom: self._import,
            ast.Yield: self._yield,
            ast.YieldFrom: self._yield,
            ast.Return: self._return,
        }

    # -- scopes --------------------------------------------------------------------------------

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, frame: Frame, stack: Stack
    ) -> None:
        is_async = isinstance(node, ast.AsyncFunctionDef)
        qualname = frame.name + node.name
        if frame is self.module:
            self.toplevel.add(node.name)
        on_loop = is_async
        unfixable = None
        if isinstance(node, ast.FunctionDef):
            offloaded = any(is_offloading(d) for d in node.decorator_list)
            frame.defs[node.name] = Func(node, frame, qualname, skip=offloaded)
            frame.bindings.pop(node.name, None)
            frame.imports.pop(node.name, None)
            if frame.tornado and node.name in TORNADO_METHODS:
                on_loop, unfixable = True, UNFIXABLE_TORNADO  # Tornado runs it on the IOLoop
        elif not self._scanning:
            self._async_defs.append(node)
        if not self._scanning:
            inner = Frame(
                frame,
                on_loop=on_loop,
                cls=frame if frame.is_class else None,
                unfixable=unfixable,
                name=f"{qualname}.<locals>.",
            )
            if "<locals>" not in qualname:
                if is_async:
                    inner.returns = []
                if self.recording:
                    self.signatures[qualname] = [arg.arg for arg in parameters(node.args)]
                    if node.returns is not None:
                        self.return_annotations[qualname] = node.returns
            self._bind_parameters(node.args, inner, qualname, typed=on_loop)
            stack.append((lambda: self._returned(qualname, inner), frame))
            stack.extend((stmt, inner) for stmt in reversed(node.body))
        outer: list[ast.AST] = [*node.decorator_list, *defaults(node.args)]
        stack.extend((n, frame) for n in reversed(outer))

    def _returned(self, qualname: str, frame: Frame) -> None:
        """For the project index: what an async def returns."""
        if frame.returns is not None:
            self.async_returns[qualname] = frame.returns

    def _bind_parameters(
        self, args: ast.arguments, frame: Frame, qualname: str, typed: bool = True
    ) -> None:
        """Parameters shadow outer names; their annotations matter where code is classified,
        and the project index may know what every caller passes."""
        known = self.context.param_kinds(qualname) if self.context is not None else {}
        for arg, default in parameter_defaults(args):
            kind = annotation_kind(arg.annotation) if typed else None
            frame.bind(arg.arg, kind or known.get(arg.arg))
            if (cls := annotated_class(arg.annotation, default)) is not None:
                frame.annotated[arg.arg] = cls

    def _lambda(self, node: ast.Lambda, frame: Frame, stack: Stack) -> None:
        if self._scanning:  # a lambda's body does not run when the function does
            stack.extend((d, frame) for d in reversed(defaults(node.args)))
            return
        inner = Frame(frame, on_loop=False, name=frame.name)
        for arg in parameters(node.args):
            inner.bind(arg.arg, None)
        stack.append((node.body, inner))
        stack.extend((n, frame) for n in reversed(defaults(node.args)))

    def _class(self, node: ast.ClassDef, frame: Frame, stack: Stack) -> None:
        if not self._scanning:
            inner = Frame(frame, on_loop=False, is_class=True, name=f"{frame.name}{node.name}.")
            inner.bases = tuple(filter(None, map(dotted, node.bases)))
            inner.tornado = any(self._is_tornado_base(base, frame) for base in inner.bases)
            if frame is self.module:
                self.classes[node.name] = inner
                self.toplevel.add(node.name)
            frame.bindings.pop(node.name, None)
            stack.extend((stmt, inner) for stmt in reversed(node.body))
        outer = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
        stack.extend((n, frame) for n in reversed(outer))

    def _is_tornado_base(self, base: str, frame: Frame) -> bool:
        known = self.classes.get(base)
        if known is not None and known.tornado:
            return True
        target = self.absolute(base, frame)
        if target in TORNADO_HANDLERS:
            return True
        return target is not None and self.context is not None and self.context.is_tornado(target)

    def _comprehension(
        self,
        node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
        frame: Frame,
        stack: Stack,
    ) -> None:
        # The first iterable is evaluated in the enclosing scope, the rest in the comprehension.
        # A generator expression runs lazily; on the loop, await would change what it is.
        genexp = isinstance(node, ast.GeneratorExp)
        unfixable = UNFIXABLE_GENEXP if genexp and frame.on_loop else frame.unfixable
        inner = Frame(frame, on_loop=frame.on_loop, func=frame.func, unfixable=unfixable)
        inner.cls, inner.name = frame.cls, frame.name
        elts: list[ast.AST] = (
            [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        )
        rest: list[ast.AST] = []
        for i, gen in enumerate(node.generators):
            results = kind_of(self, gen.iter, inner if i else frame) == Kind.RESULTS
            for name in target_names(gen.target):
                inner.bind(name, Kind.RESULT if results else None)
            rest.append(gen.target)
            if i:
                rest.append(gen.iter)
            rest.extend(gen.ifs)
        stack.extend((n, inner) for n in reversed(rest + elts))
        stack.append((node.generators[0].iter, frame))

    def _yield(self, node: ast.Yield | ast.YieldFrom, frame: Frame, stack: Stack) -> None:
        if frame.func is not None:
            frame.func.skip = True  # calling a generator function runs none of its body
        if frame.returns is not None:
            frame.returns.append(None)  # an async generator returns no result
        push_children(node, frame, stack)

    def _return(self, node: ast.Return, frame: Frame, stack: Stack) -> None:
        if frame.returns is not None and node.value is not None:
            frame.returns.append(kind_of(self, node.value, frame))
        push_children(node, frame, stack)

    def plausible_dispatch(self, node: ast.Call, attr: str, recv: ast.expr, frame: Frame) -> bool:
        return plausible_dispatch(self, node, attr, recv, frame)

    # -- calls and attribute reads ------------------------------------------------------------

    def _await(self, node: ast.Await, frame: Frame, stack: Stack) -> None:
        self._awaited.add(id(node.value))
        stack.append((node.value, frame))

    def _call(self, node: ast.Call, frame: Frame, stack: Stack) -> None:
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
        if self.recording and (frame.on_loop or frame.func is not None):
            self._record_call(node, frame)
        if (frame.on_loop or frame.func is not None) and id(node) not in self._awaited:
            self._classify_call(node, frame)
        push_children(node, frame, stack)

    def _classify_call(self, node: ast.Call, frame: Frame) -> None:
        for detect in _ON_CALL:
            if detect(self, node, frame):
                return
        func = node.func
        if not is_candidate(func):
            return
        if frame.on_loop:
            self.candidates.append((node, func, frame))
        elif frame.func is not None:
            frame.func.calls.append((node, func, frame))

    def _attribute(self, node: ast.Attribute, frame: Frame, stack: Stack) -> None:
        if id(node) not in self._callees and (frame.on_loop or frame.func is not None):
            for detect in _ON_ATTRIBUTE:
                detect(self, node, frame)
        stack.append((node.value, frame))

    # -- reports -------------------------------------------------------------------------------

    def report(
        self,
        node: ast.expr | ast.stmt,
        frame: Frame | None,
        code: str,
        what: str,
        fix_text: str,
        *,
        method: str = "",
        new: str = "",
        fix: str | None = None,
        reason: str | None = None,
        via: str = "",
    ) -> None:
        """Record a finding. In a scanned sync function (``frame`` off the loop) only remember
        the first blocking site, for CEL007; ``frame`` is None for module-level rules."""
        if frame is not None and not frame.on_loop:
            if frame.func is not None and frame.func.site is None:
                frame.func.site = (node.lineno, what)
            return
        if fix is not None and frame is not None and frame.unfixable is not None:
            fix, reason = None, frame.unfixable
        message = BY_CODE[code].message.format(what=what, fix=fix_text, via=via)
        if frame is not None and frame.unfixable == UNFIXABLE_TORNADO:
            message = message.replace("in async def", "in a Tornado handler (on the IOLoop)")
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


def analyze(
    tree: ast.Module, settings: Settings | None = None, context: ModuleContext | None = None
) -> list[Finding]:
    """All findings in a parsed module, sorted by position."""
    return Analysis(tree, settings, context).findings


def analyze_source(
    source_code: str | bytes, settings: Settings | None = None, context: ModuleContext | None = None
) -> list[Finding]:
    """Parse and analyze (raises ``SyntaxError``/``ValueError`` on bad input)."""
    return analyze(ast.parse(source_code), settings, context)
