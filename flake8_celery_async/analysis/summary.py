"""One module's summary for the project index: what it defines, imports, and does.

A summary is plain data (dicts, lists, tuples, strings and ints), so that it can be cached
with ``marshal`` and sent between processes. Its keys:

``m`` the module's dotted name from the project root, ``p`` its path from the root, ``pkg``
whether it is a package's ``__init__``; ``i`` its module-level imports (local name -> the
absolute name they bind); ``f`` its sync functions and methods (qualified name -> (line of
the first Celery I/O reached in this module or 0, what it is, absolute names of the
project functions it calls, skipped)); ``s`` signatures (qualified name -> parameter names);
``r`` async defs whose every return is a Celery result (qualified name -> kind); ``c`` its
classes (name -> absolute names of the bases); ``k`` module-level names with a known kind;
``n`` module-level instances of classes (name -> absolute name of the class);
``ra`` sync functions whose return annotation names a class (qualified name -> the absolute
name of the class: what a factory makes); ``cs`` call sites of other functions (absolute
name, kinds passed by position, by keyword, whether ``*``/``**`` are used), and ``v``
references to names that are not calls (they veto kinds through parameters).
"""

from __future__ import annotations

import ast

from ..scopes.frames import Frame, Func
from ..scopes.kinds import Kind, annotation_kind
from ..scopes.resolver import annotated_class, target_of
from ..settings import Settings
from ..syntax.nodes import dotted
from .analyzer import Analysis, Finding

if False:  # for type checkers only
    from typing import Any

    from ..scopes.context import ModuleContext

ModuleSummary = dict[str, "Any"]
_KNOWN = (Kind.APP, Kind.SIG, Kind.CANVAS, Kind.RESULT)


def summarize_and_find(
    tree: ast.Module, settings: Settings, context: ModuleContext, references: bool = False
) -> tuple[ModuleSummary, list[Finding]]:
    """Analyze a module for the index: its summary, and what the same analysis found (with
    the answers ``context`` gave: see ``scopes.context.Recorder``). ``references``: also
    list the names it uses other than by calling them (a whole-tree walk, so only for
    modules that name a function whose parameters may get kinds)."""
    a = Analysis(tree, settings, context, record=True)
    module = context.module
    functions: dict[str, tuple[int, str, list[str], bool]] = {}
    frames: list[Frame] = [a.module, *a.classes.values()]
    targets: dict[int, list[Func | str | None]] = {}  # by function: what its calls call
    for frame in frames:
        for func in frame.defs.values():
            functions[func.qualname] = _function(a, func, targets)
    classes = {}
    for name, frame in a.classes.items():
        bases = [a.absolute(base, a.module) for base in frame.bases]
        classes[name] = [b for b in bases if b is not None]
        if frame.tornado:
            classes[name].append("tornado.web.RequestHandler")
    returns = {
        name: int(Kind.RESULT)
        for name, kinds in a.async_returns.items()
        if (kinds and all(k == Kind.RESULT for k in kinds))
        or _returned_class_kind(a.return_annotations.get(name)) == Kind.RESULT
    }
    made: dict[str, str] = {}
    for name, annotation in a.return_annotations.items():
        cls = annotated_class(annotation, None)
        if name in a.async_returns or cls is None or not cls.rpartition(".")[2][:1].isupper():
            continue
        target = a.absolute(cls, a.module)
        if target is not None:
            made[name] = target
    kinds = {k: int(v) for k, v in a.module.bindings.items() if v in _KNOWN and "." not in k}
    summary = {
        "m": module,
        "p": context.path,
        "pkg": context.is_package,
        "i": dict(a.module.imports),
        "f": functions,
        "s": a.signatures,
        "r": returns,
        "ra": made,
        "c": classes,
        "k": kinds,
        "n": {name: a.absolute(cls, a.module) or "" for name, cls in a.instances.items()},
        "cs": a.call_sites,
        "v": sorted(_references(a, tree)) if references else [],
        "pool": a.async_pool,
    }
    return summary, a.findings


def _returned_class_kind(annotation: ast.expr | None) -> Kind | None:
    """``-> GroupResult | None``, ``-> Optional[AsyncResult]``: a result (not a list of them)."""
    cls = annotated_class(annotation, None) if annotation is not None else None
    return annotation_kind(ast.Name(cls.rpartition(".")[2])) if cls is not None else None


def _function(
    a: Analysis, func: Func, targets: dict[int, list[Func | str | None]]
) -> tuple[int, str, list[str], bool]:
    """The first Celery I/O a function reaches in this module, and the other modules'
    functions it (or the same-module functions it calls) calls. ``targets``: what each
    scanned function's calls call, resolved once (a function reached from many others was
    resolved again for each of them): a scan's frames do not change once it is done."""
    pending, seen = [func], {id(func)}
    site: tuple[int, str] | None = None
    calls: list[str] = []
    for current in pending:  # breadth first: the list grows while it is read
        if not current.scanned:
            a.scan(current)
        if current.skip:  # a generator (calling it runs nothing) or offloaded
            if current is func:
                return 0, "", [], True
            continue
        if site is None and current.site is not None:
            site = current.site
        called = targets.get(id(current))
        if called is None:
            called = targets[id(current)] = [
                target_of(a, callee, where) for _call, callee, where in current.calls
            ]
        for target in called:
            if isinstance(target, str):
                calls.append(target)
            elif target is not None and id(target) not in seen:
                seen.add(id(target))
                pending.append(target)
    line, what = site if site is not None else (0, "")
    return line, what, list(dict.fromkeys(calls)), False


def _references(a: Analysis, tree: ast.Module) -> set[str]:
    """Absolute names used other than as the callee of a classified call: a function passed
    around (or called where the analysis does not look) may get anything."""
    module = a.module
    names = set(module.imports) | set(module.defs)
    found: set[str] = set()
    try:
        nodes = list(ast.walk(tree))
    except RecursionError:  # pragma: no cover - absurdly deep trees
        return found
    for node in nodes:
        if isinstance(node, ast.Name | ast.Attribute) and id(node) not in a.recorded:
            name = dotted(node)
            if name is None or name.partition(".")[0] not in names:
                continue
            target = a.absolute(name, module)
            if target is not None:
                found.add(target)
    return found
