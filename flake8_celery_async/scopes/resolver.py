"""The name resolver: what a callee is, a sync function of this module or the absolute name
of something in another module (for the project index), through imports, instances, class
annotations and base classes, never by bare name."""

from __future__ import annotations

import ast

from ..syntax.nodes import dotted, is_self_attr

if False:  # for type checkers only
    from .frames import Frame, Func
    from .walker import Walker

# Marks a class name in ``Frame.annotated`` that is absolute already (what a factory of
# another module makes, ``"=pkg.flows.Workflow"``), not written as this module names it.
RESOLVED = "="


def is_candidate(callee: ast.expr) -> bool:
    """Callees the index or this module can resolve: ``f``, ``self.m``, ``mod.f``, and a
    method of a new instance, ``Service(db).m``."""
    return (
        isinstance(callee, ast.Name)
        or is_self_attr(callee)
        or dotted(callee) is not None
        or _constructed(callee) is not None
    )


def _constructed(callee: ast.expr) -> str | None:
    """``Service(db).m``: the dotted name called to make the receiver (``"Service"``)."""
    if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Call):
        return dotted(callee.value.func)
    return None


def target_of(a: Walker, callee: ast.expr, frame: Frame) -> Func | str | None:
    """What a callee is: a sync function of this module, the absolute name of something in
    another module (``"pkg.services.enqueue"``), or ``None`` (unknown: never a helper)."""
    if isinstance(callee, ast.Name):
        func = frame.function(callee.id)
        if func is not None:
            return func
        origin = frame.origin(callee.id)
        return origin or None
    if is_self_attr(callee):
        assert isinstance(callee, ast.Attribute)
        return _method(a, frame.cls, callee.attr, frame)
    made = _constructed(callee)
    if made is not None:  # Service(db).m(): a method of the class it names, if it is one
        assert isinstance(callee, ast.Attribute)
        if made == "type" and _of_self(callee.value) and frame.cls is not None:
            return _method(a, frame.cls, callee.attr, frame)  # type(self).m()
        return _new_instance_method(a, made, callee.attr, frame)
    name = dotted(callee)
    if name is None:
        return None
    root, _, rest = name.partition(".")
    cls = a.instances.get(root)
    if cls is not None and "." not in rest and _module_binding(a, root, frame):
        if cls in a.classes:  # service = Service() in this module, then service.method()
            return _method(a, a.classes[cls], rest, frame)
        target = a.absolute(cls, frame)
        return f"{target}.{rest}" if target is not None else None
    if "." not in rest and (local := _local_class(a, root, frame)) is not None:
        return _method(a, local, rest, frame)  # Service.build(): a class of this module
    attr, _, method = rest.partition(".")
    if root == "self" and method and "." not in method and frame.cls is not None:
        if attr == "__class__":  # self.__class__.m(): a classmethod or staticmethod
            return _method(a, frame.cls, method, frame)
        made = member_class(frame.cls, attr)  # self.service = Service() in __init__
        return _new_instance_method(a, made, method, frame) if made is not None else None
    if frame.lookup(root)[0]:
        declared = _annotated(frame, root)
        if declared is not None and "." not in rest:  # svc: Service, then svc.m()
            return _new_instance_method(a, declared, rest, frame)
        return None  # a local object: its class is not known
    origin = frame.origin(root)
    return f"{origin}.{rest}" if origin else None


def _of_self(node: ast.expr) -> bool:
    """``type(self)``."""
    return (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "self"
    )


def member_class(cls: Frame, attr: str) -> str | None:
    """The class every ``self.attr = ...`` in the methods of ``cls`` constructs (``"Service"``
    for ``self.service = Service(db)``) or declares (``self.flow: Workflow = flow``), or what
    the class body says (``queue = TaskQueue()``, ``workflow: Workflow``); ``None`` when one
    assigns anything else, or none does."""
    members = _members(cls)
    if attr in members and (members[attr] is not None or attr not in cls.declared):
        return members[attr]
    return cls.annotated.get(attr)


def _members(cls: Frame) -> dict[str, str | None]:
    """Every ``self.x`` the methods of ``cls`` assign: the one class all of them construct, or
    ``None``. Read once per class (again if it gained methods since, while being read)."""
    if cls.members is not None and cls.members[0] == len(cls.defs):
        return cls.members[1]
    found: dict[str, set[str | None]] = {}
    pending: list[ast.AST] = [func.node for func in cls.defs.values()]
    while pending:  # statements only: an attribute is assigned by a statement
        node = pending.pop()
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            pending.extend(getattr(node, field, ()))
        if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            continue
        value = node.value
        made = None
        if isinstance(node, ast.AnnAssign):  # self.flow: Workflow = flow
            made = annotated_class(node.annotation, None)
        if made is None and isinstance(value, ast.Call) and not isinstance(node, ast.AugAssign):
            made = dotted(value.func)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            unpacked = isinstance(target, ast.Tuple | ast.List)
            for one in target.elts if unpacked else [target]:  # type: ignore[attr-defined]
                name = dotted(one)
                if name is not None and name.startswith("self.") and name.count(".") == 1:
                    found.setdefault(name[5:], set()).add(None if unpacked else made)
    members = {attr: made.pop() if len(made) == 1 else None for attr, made in found.items()}
    cls.members = (len(cls.defs), members)
    return members


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _annotated(frame: Frame, name: str) -> str | None:
    """The class the parameter ``name`` visible here is declared as, if it is one."""
    for scope in frame.visible():
        if name in scope.bindings:
            return scope.annotated.get(name)
    return None


def _new_instance_method(a: Walker, made: str, attr: str, frame: Frame) -> Func | str | None:
    """The method ``attr`` of the class ``made`` names: a class of this module, or (by its
    absolute name) one the index knows, or one a project factory makes (``RESOLVED``)."""
    if made.startswith(RESOLVED):
        return f"{made[len(RESOLVED) :]}.{attr}"
    root = made.partition(".")[0]
    if made in a.instances and _module_binding(a, made, frame):  # an Annotated alias
        return target_of(a, ast.Attribute(ast.Name(made), attr), frame)
    if frame.lookup(root)[0]:
        return None  # a local object or parameter
    if (local := _local_class(a, made, frame)) is not None:
        return _method(a, local, attr, frame)
    target = a.absolute(made, frame) if made not in a.module.defs else None
    return f"{target}.{attr}" if target is not None else None


def annotated_class(annotation: ast.expr | None, default: ast.expr | None) -> str | None:
    """The class a parameter is declared as: ``svc: Service``, ``Annotated[Service, ...]``,
    ``Service | None``, ``Optional[Service]``, ``"Service"``, or FastAPI's
    ``svc=Depends(Service)`` (which makes one); whether it is a class is the caller's to find."""
    node = annotation
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # Service | None
        sides = [s for s in (node.left, node.right) if not _is_none(s)]
        node = sides[0] if len(sides) == 1 else None
    if isinstance(node, ast.Subscript):
        wrapper = (dotted(node.value) or "").rpartition(".")[2]
        inner = node.slice
        if wrapper == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
            node = inner.elts[0]
        elif wrapper == "Optional":
            node = inner
        else:
            return None
    if annotation is None and isinstance(default, ast.Call) and default.args:
        depends = (dotted(default.func) or "").rpartition(".")[2] == "Depends"
        node = default.args[0] if depends else None
    return dotted(node) if isinstance(node, ast.Name | ast.Attribute) else None


def _local_class(a: Walker, name: str, frame: Frame) -> Frame | None:
    """The body of this module's class ``name``, unless a local name or import shadows it."""
    cls = a.classes.get(name)
    if cls is None or frame.lookup(name)[0] or frame.origin(name):
        return None
    return cls


def project_method(a: Walker, func: ast.expr, frame: Frame) -> bool:
    """Is ``recv.m`` a function or method the project defines, for a receiver of known class
    (``registry.send_task()`` with ``registry = Registry()``, ``net: Net``, ``Bot().delay()``)?
    Then it is not Celery's method of that name (CEL007 judges what it does)."""
    if not isinstance(func, ast.Attribute) or is_self_attr(func):
        return False
    target = target_of(a, func, frame)
    if isinstance(target, str):
        return a.context is not None and a.context.is_function(target)
    return target is not None


def _module_binding(a: Walker, name: str, frame: Frame) -> bool:
    """Is ``name`` here the module-level binding (not shadowed by a local)?"""
    for scope in frame.visible():
        if name in scope.bindings or name in scope.imports:
            return scope is a.module
    return False


def _method(a: Walker, cls: Frame | None, attr: str, frame: Frame) -> Func | str | None:
    """``self.attr``: a method of the class, or inherited from a class of this module or (by
    its absolute name, for the index) of another."""
    pending, seen = ([cls] if cls is not None else []), 0
    while pending and seen < 20:
        seen += 1
        current = pending.pop(0)
        if attr in current.defs:
            return current.defs[attr]
        for base in current.bases:
            local = a.classes.get(base)
            if local is not None:
                pending.append(local)
                continue
            target = a.absolute(base, frame)
            if target is not None:
                return f"{target}.{attr}"
    return None
