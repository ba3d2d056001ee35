"""Add the runtime import where isort would put it, without touching the file's blank lines.

``from <runtime> import <names>`` joins the import block (lines not split by a blank line) of
the same top-level package, else the last block holding only the repository's own imports,
sorted among its ``from`` imports as isort's default profile sorts them (plain ``import``
lines first, then ``from`` imports by module name, case-insensitively). Otherwise — the runtime
is already imported from, or no such block — libcst's AddImportsVisitor adds it after the last
import. No blank line is added or removed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node

from flake8_celery_async.project.layout import THIRD_PARTY

from .edits import Rename
from .runtime import PACKAGE


def _module_of(statement: cst.BaseStatement) -> tuple[str, bool] | None:
    """(module name, is a ``from`` import) of a one-import statement line, else None."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        dots = "." * len(small.relative)
        name = get_full_name_for_node(small.module) if small.module is not None else ""
        return dots + (name or ""), True
    if isinstance(small, cst.Import):
        return get_full_name_for_node(small.names[0].name) or "", False
    return None


def _top(module: str) -> str:
    return "." if module.startswith(".") else module.partition(".")[0]


def _is_own(module: str) -> bool:
    top = module.partition(".")[0]
    return module.startswith(".") or not (
        top in sys.stdlib_module_names or top in THIRD_PARTY or top == PACKAGE
    )


def _is_third_party(module: str) -> bool:
    top = module.partition(".")[0]
    return top in THIRD_PARTY or top == PACKAGE


def _leading(statement: cst.BaseStatement, i: int) -> bool:
    """What isort keeps above the imports: the docstring, ``from __future__``, ``__all__``."""
    if i == 0 and _is_docstring(statement):
        return True
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name):
        return small.module.value == "__future__" and not small.relative
    targets = (
        [t.target for t in small.targets]
        if isinstance(small, cst.Assign)
        else [small.target]
        if isinstance(small, cst.AnnAssign)
        else []
    )
    return any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets)


def place_import(
    module: cst.Module, runtime_module: str, names: Sequence[str]
) -> cst.Module | None:
    """The module with the new import placed, or None to leave it to AddImportsVisitor."""
    body = list(module.body)
    runs: list[list[int]] = []  # indexes of consecutive import lines, split at blank lines
    last_leading = -1
    for i, statement in enumerate(body):
        if _leading(statement, i):
            last_leading = i
            continue
        found = _module_of(statement)
        if found is None:
            break  # the import block ends at the first other statement
        if found[0] == runtime_module and found[1]:
            return None  # merge into the existing import
        assert isinstance(statement, cst.SimpleStatementLine)
        if not runs or _blank_before(statement):
            runs.append([])
        runs[-1].append(i)
    aliases = [cst.ImportAlias(cst.Name(n)) for n in sorted(names)]
    dots = len(runtime_module) - len(runtime_module.lstrip("."))
    relative = [cst.Dot() for _ in range(dots)]
    target = _dotted(runtime_module[dots:])
    new = cst.SimpleStatementLine([cst.ImportFrom(module=target, names=aliases, relative=relative)])
    if not runs:  # below the docstring, __future__ and __all__, taking no blank line
        position = last_leading + 1
        if position < len(body):  # then the blank lines isort puts after an import block
            following = body[position]
            new = new.with_changes(leading_lines=following.leading_lines)
            defines = isinstance(following, cst.FunctionDef | cst.ClassDef)
            after = [cst.EmptyLine()] * (2 if defines else 1)
            comments = [line for line in following.leading_lines if line.comment is not None]
            body[position] = following.with_changes(leading_lines=[*after, *comments])
        return module.with_changes(body=[*body[:position], new, *body[position:]])
    top = "." if runtime_module.startswith(".") else runtime_module.partition(".")[0]
    modules = {i: _module_of(body[i]) for run in runs for i in run}
    same = [r for r in runs if any((m := modules[i]) and _top(m[0]) == top for i in r)]
    kind = _is_own if _is_own(runtime_module) else _is_third_party
    section = [r for r in runs if all((m := modules[i]) and kind(m[0]) for i in r)]
    mixed = [r for r in runs if any((m := modules[i]) and kind(m[0]) for i in r)]
    if not (same or section or mixed):
        return _own_section(module, body, runs, modules, new, kind is _is_third_party)
    run = (same or section or mixed)[-1]
    key = runtime_module.lower()
    position = run[-1] + 1
    for i in run:
        found = modules[i]
        if found is not None and found[1] and found[0].lower() > key:
            position = i
            break
    if position == run[0]:  # first of its block: it takes the block's leading lines
        first = body[position]
        new = new.with_changes(leading_lines=first.leading_lines)
        body[position] = first.with_changes(leading_lines=[])
    return module.with_changes(body=[*body[:position], new, *body[position:]])


def _own_section(
    module: cst.Module,
    body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement],
    runs: list[list[int]],
    modules: dict[int, tuple[str, bool] | None],
    new: cst.SimpleStatementLine,
    third_party: bool,
) -> cst.Module:
    """A section of its own, as isort makes one: a third-party import before the first block
    of the repository's own imports, else after the last block, a blank line between."""
    blank = [cst.EmptyLine()]
    own = [r for r in runs if all((m := modules[i]) and _is_own(m[0]) for i in r)]
    if third_party and own:
        position = own[0][0]
        first = body[position]
        new = new.with_changes(leading_lines=first.leading_lines)
        body[position] = first.with_changes(leading_lines=blank)
    else:
        position = runs[-1][-1] + 1
        new = new.with_changes(leading_lines=blank)
    return module.with_changes(body=[*body[:position], new, *body[position:]])


def _blank_before(statement: cst.SimpleStatementLine) -> bool:
    return any(line.comment is None for line in statement.leading_lines)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _dotted(name: str) -> cst.Attribute | cst.Name:
    parts = name.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def add_imports(module: cst.Module, runtime_module: str, names: Sequence[str]) -> cst.Module:
    """``from <runtime_module> import <names>`` via libcst's AddImportsVisitor, fed only the
    statements it reads and edits.

    AddImportsVisitor looks at the leading docstring and import statements, and adds a blank
    line before the first statement after them, but it walks and rebuilds the whole module
    (1-2 s for a 3,000-line file). It gets the leading simple statements plus the next one,
    that one as a stand-in carrying only its leading lines, and the rest is spliced back.
    """
    if not names:
        return module
    placed = place_import(module, runtime_module, names)
    if placed is not None:
        return placed
    context = CodemodContext()
    for name in names:
        dots = len(runtime_module) - len(runtime_module.lstrip("."))
        AddImportsVisitor.add_needed_import(context, runtime_module[dots:], name, relative=dots)
    body = list(module.body)
    simple = 0
    while simple < len(body) and isinstance(body[simple], cst.SimpleStatementLine):
        simple += 1
    if simple == len(body):
        return AddImportsVisitor(context).transform_module(module)
    boundary = body[simple]
    stand_in = cst.SimpleStatementLine([cst.Pass()], leading_lines=boundary.leading_lines)
    head = module.with_changes(body=[*body[:simple], stand_in], footer=())
    new_head = AddImportsVisitor(context).transform_module(head)
    *new_simple, new_stand_in = new_head.body
    new_boundary = boundary.with_changes(leading_lines=new_stand_in.leading_lines)
    return module.with_changes(
        header=new_head.header, body=[*new_simple, new_boundary, *body[simple + 1 :]]
    )


def remove_imports(module: cst.Module, removable: Sequence[Rename], path: str) -> cst.Module:
    """RemoveImportsVisitor for the imports the rewiring made unused, keeping what it drops
    with a removed statement: its blank lines and comments go to the next statement."""
    context = CodemodContext(filename=path)
    for r in removable:
        RemoveImportsVisitor.remove_unused_import(context, r.old_module, r.old_name, r.old_asname)
    new = RemoveImportsVisitor(context).transform_module(module)
    old_body, new_body = list(module.body), list(new.body)
    if len(new_body) == len(old_body):
        return new
    bare = cst.Module([])

    def key(statement: cst.BaseStatement) -> str:
        return bare.code_for_node(statement.with_changes(leading_lines=()))

    kept: list[cst.BaseStatement] = []
    pending: list[cst.EmptyLine] = []
    j = 0
    for statement in old_body:
        if j < len(new_body) and key(statement) == key(new_body[j]):
            current = new_body[j]
            j += 1
        elif j < len(new_body) and _same_import(statement, new_body[j]):
            current = new_body[j]  # some of its names removed
            j += 1
        else:
            pending += statement.leading_lines  # removed
            continue
        if pending:
            own = list(current.leading_lines)
            blank = any(line.comment is None for line in own)
            lines = [*(p for p in pending if p.comment is not None or not blank), *own]
            current = current.with_changes(leading_lines=lines)
            pending = []
        kept.append(current)
    kept += new_body[j:]
    return new.with_changes(body=kept)


def _same_import(old: cst.BaseStatement, new: cst.BaseStatement) -> bool:
    a, b = _module_of(old), _module_of(new)
    return a is not None and a == b
