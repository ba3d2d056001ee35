"""Bindings: what names refer to, as the walk meets imports, assignments, loops, ``with``
and ``except`` (the part of the analysis that fills the scopes' frames), and the names the
project index sees (absolute names, call sites).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..syntax.nodes import LEAVES, child_fields, dotted, is_self_attr, statement_fields
from .frames import Frame
from .inference import kind_of
from .kinds import ASYNC_POOLS, OTHER_TASK_QUEUES, Kind, MaybeKind, annotation_kind
from .resolver import RESOLVED, annotated_class, target_of
from .walker import Walker

Action = Callable[[], None]
Stack = list[tuple["ast.AST | Action", Frame]]


_LOOP_FIELDS: dict[type, tuple[str, ...]] = {}  # by node type: child_fields, reversed
_OFF_FIELDS: dict[type, tuple[str, ...]] = {}  # statement_fields, reversed


def push_children(node: ast.AST, frame: Frame, stack: Stack) -> None:
    """Push the children the walk visits, first child on top. (The walk's hottest function:
    no intermediate lists, fields looked up once per node type.)"""
    cls = type(node)
    if not (frame.on_loop or frame.func):  # off the loop: only nested statements matter
        names = _OFF_FIELDS.get(cls)
        if names is None:
            names = _OFF_FIELDS[cls] = tuple(reversed(statement_fields(cls)))
        for name in names:
            stack.extend([(child, frame) for child in reversed(getattr(node, name))])
        return
    names = _LOOP_FIELDS.get(cls)
    if names is None:
        names = _LOOP_FIELDS[cls] = tuple(reversed(child_fields(cls)))
    append = stack.append
    for name in names:
        value = getattr(node, name, None)
        if value.__class__ is list:
            for child in reversed(value):
                if child.__class__ not in LEAVES and isinstance(child, ast.AST):
                    append((child, frame))
        elif value.__class__ not in LEAVES and isinstance(value, ast.AST):
            append((value, frame))


class Bindings(Walker):
    """The analysis's binding handlers (a base of ``analysis.analyzer.Analysis``)."""

    recorded: set[int]
    call_sites: list[tuple[str, list[int], dict[str, int], bool]]

    def _import(self, node: ast.Import | ast.ImportFrom, frame: Frame, stack: Stack) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                frame.bind_import(local, alias.name if alias.asname else local)
                self.other_queue |= alias.name.partition(".")[0] in OTHER_TASK_QUEUES
                self.async_pool |= alias.name.partition(".")[0] in ASYNC_POOLS
                self.nonblocking_producer |= alias.name.partition(".")[0] == "tcelery"
            return
        module = node.module or ""
        self.other_queue |= module.partition(".")[0] in OTHER_TASK_QUEUES
        self.async_pool |= module.partition(".")[0] in ASYNC_POOLS
        if node.level and self.context is not None:
            module = self.context.relative(node.level, module)
        for alias in node.names:
            if alias.name != "*":
                frame.bind_import(alias.asname or alias.name, f"{module}.{alias.name}")

    def _assign(
        self, node: ast.Assign | ast.AnnAssign | ast.NamedExpr, frame: Frame, stack: Stack
    ) -> None:
        targets: list[ast.expr] = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not (frame.on_loop or frame.func) and frame is not self.module:
            # Inside a sync function, a local only matters as a closure of a nested async
            # def: shadowing is enough there (app- and pool-like names are judged by name).
            for target in targets:
                self._bind(target, None, frame)
            value, name = node.value, targets[0]
            made = (dotted(value.func) or "") if isinstance(value, ast.Call) else ""
            if isinstance(node, ast.AnnAssign) and frame.is_class:  # workflow: Workflow
                declared = annotated_class(node.annotation, None)
                if declared is not None and isinstance(name, ast.Name):
                    frame.declared.add(name.id)
                    made = declared
            cls_like = made.rpartition(".")[2][:1].isupper()  # class Cog: queue = TaskQueue()
            if frame.is_class and cls_like and isinstance(name, ast.Name) and len(targets) == 1:
                frame.annotated[name.id] = made
            return
        value = node.value
        kind = kind_of(self, value, frame) if value is not None else None
        if isinstance(node, ast.AnnAssign):
            kind = annotation_kind(node.annotation) or kind
        pairs: list[tuple[ast.expr, MaybeKind]] = []
        for target in targets:
            if (
                isinstance(target, ast.Tuple | ast.List)
                and isinstance(value, ast.Tuple | ast.List)
                and len(target.elts) == len(value.elts)
            ):
                pairs += [
                    (t, kind_of(self, v, frame))
                    for t, v in zip(target.elts, value.elts, strict=True)
                ]
            else:
                pairs.append((target, kind))

        instance = None
        if isinstance(value, ast.Call) and len(targets) == 1:
            instance = dotted(value.func)  # service = Service(...): maybe a class's instance
        if frame is self.module and isinstance(value, ast.Subscript) and len(targets) == 1:
            instance = annotated_class(value, None)  # ServiceDep = Annotated[Service, ...]
        if instance is not None and not instance.rpartition(".")[2][:1].isupper():
            instance = None  # a class, by its name
            if frame is not self.module and isinstance(value, ast.Call):
                instance = self._factory_class(value.func, frame)  # flow = get_workflow()

        def bind() -> None:
            first = isinstance(targets[0], ast.Name) and targets[0].id not in frame.bindings
            for target, target_kind in pairs:
                self._bind(target, target_kind, frame)
            if isinstance(targets[0], ast.Name):
                name = targets[0].id
                if frame is not self.module:
                    # A local bound once (calls are judged after the whole function is read,
                    # so a name bound again is of no one class): its methods, for CEL007.
                    if instance is not None and first:
                        frame.annotated[name] = instance
                elif instance is not None:
                    self.instances[name] = instance
                else:
                    self.instances.pop(name, None)

        stack.append((bind, frame))
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            # A local variable's annotation is never evaluated: only the value runs.
            stack.extend((n, frame) for n in (node.value, node.target) if n is not None)
            return
        push_children(node, frame, stack)

    def _for(self, node: ast.For | ast.AsyncFor, frame: Frame, stack: Stack) -> None:
        kind = Kind.RESULT if kind_of(self, node.iter, frame) == Kind.RESULTS else None
        stack.extend((stmt, frame) for stmt in reversed([*node.body, *node.orelse]))
        stack.append((lambda: self._bind(node.target, kind, frame), frame))
        stack.extend([(node.target, frame), (node.iter, frame)])

    def _with(self, node: ast.With | ast.AsyncWith, frame: Frame, stack: Stack) -> None:
        stack.extend((stmt, frame) for stmt in reversed(node.body))
        pairs = [(i.optional_vars, kind_of(self, i.context_expr, frame)) for i in node.items]

        def bind() -> None:
            for target, kind in pairs:
                if target is not None:
                    self._bind(target, kind, frame)

        stack.append((bind, frame))
        stack.extend((item, frame) for item in reversed(node.items))

    def _except(self, node: ast.ExceptHandler, frame: Frame, stack: Stack) -> None:
        """``except E as res``: ``res`` is an exception from here on, whatever it was."""
        stack.extend((stmt, frame) for stmt in reversed(node.body))
        if node.name is not None:
            name = node.name
            stack.append((lambda: frame.bind(name, Kind.NOT_CELERY), frame))
        if node.type is not None:
            stack.append((node.type, frame))

    @staticmethod
    def _bind(target: ast.expr, kind: MaybeKind, frame: Frame) -> None:
        if isinstance(target, ast.Starred):
            target = target.value
        if isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                Bindings._bind(elt, None, frame)
            return
        key = dotted(target)
        if key is not None:
            frame.bind(key, kind)
            frame.defs.pop(key, None)

    def absolute(self, name: str, frame: Frame) -> str | None:
        """The absolute name a dotted name refers to through this module's imports, or its
        own definitions (``"pkg.mod.f"``); ``None`` when it is neither."""
        root, _, rest = name.partition(".")
        origin = frame.origin(root)
        if not origin:
            if self.context is None or root not in self.toplevel:
                return None
            origin = f"{self.context.module}.{root}"
        return f"{origin}.{rest}" if rest else origin

    def project_function(self, func: ast.expr, frame: Frame) -> bool:
        """Is ``func`` a function of a project module (``dispatcher.send_task``)?"""
        if self.context is None:
            return False
        name = dotted(func)
        target = self.absolute(name, frame) if name is not None else None
        return target is not None and self.context.is_function(target)

    def _factory_class(self, func: ast.expr, frame: Frame) -> str | None:
        """The class a call of a project factory makes, by its return annotation: as written
        here for a function of this module, else by absolute name (marked ``RESOLVED``)."""
        local = frame.function(func.id) if isinstance(func, ast.Name) else None
        if local is not None:
            made = annotated_class(local.node.returns, None)
            return made if made is not None and made.rpartition(".")[2][:1].isupper() else None
        name = dotted(func)
        target = self.absolute(name, frame) if name is not None else None
        if target is None or self.context is None:
            return None
        made = self.context.made_by(target)
        return RESOLVED + made if made is not None else None

    def imported_kind(self, origin: str) -> MaybeKind:
        """What an imported name is, according to the project index."""
        return self.context.kind(origin) if self.context is not None else None

    def returned_kind(self, func: ast.expr, frame: Frame) -> MaybeKind:
        """What an awaited call of a project function gives, according to the index."""
        if self.context is None:
            return None
        name = dotted(func)
        target = self.absolute(name, frame) if name is not None else None
        if target is None and isinstance(func, ast.Attribute):  # await self.store.fetch()
            found = target_of(self, func, frame)
            target = found if isinstance(found, str) else None
        return self.context.returns(target) if target is not None else None

    def _record_call(self, node: ast.Call, frame: Frame) -> None:
        """For the project index: what this call passes to a project function."""
        func, target = node.func, None
        if isinstance(func, ast.Name):
            local = frame.function(func.id)
            if local is not None and self.context is not None:
                if "<locals>" not in local.qualname:
                    target = f"{self.context.module}.{local.qualname}"
            else:
                target = self.absolute(func.id, frame)
        elif not is_self_attr(func):
            name = dotted(func)
            target = self.absolute(name, frame) if name is not None else None
        if target is None:
            return
        self.recorded.add(id(func))
        star = False
        args: list[int] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                star = True
                break
            args.append(int(kind_of(self, arg, frame) or 0))
        keywords: dict[str, int] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                star = True
            else:
                keywords[keyword.arg] = int(kind_of(self, keyword.value, frame) or 0)
        self.call_sites.append((target, args, keywords, star))
