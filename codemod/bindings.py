"""What a module binds and imports, read cheaply from its libcst tree or its tokens: the names
an added import would clash with, the names still used, and where a function imports Celery.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

import libcst as cst


def names_outside_imports(code: str) -> set[str]:
    """Every NAME token of the code but those of ``import``/``from`` statements."""
    names: set[str] = set()
    line: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.NAME:
                line.append(token.string)
            elif token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or token.string == ";":
                if line and line[0] not in ("import", "from"):
                    names.update(line)
                line = []
    except (tokenize.TokenError, SyntaxError):  # cannot tell: keep every import
        return {"*"} | names | set(re.findall(r"\w+", code))
    return names


def bound_elsewhere(tree: cst.Module, names: set[str], runtime_module: str) -> set[str]:
    """Which of ``names`` the module binds itself (not imported from a runtime module).

    A module-level scan, not libcst's ScopeProvider: that would cost a full scope analysis
    of every file with a finding, and a top-level binding is what an import would clash with.
    """
    taken: set[str] = set()
    runtime_last = runtime_module.rpartition(".")[2]
    for statement in tree.body:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            taken |= names & {statement.name.value}
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = cst.helpers.get_full_name_for_node(small.module) if small.module else ""
                for alias in small.names:
                    bound = alias.evaluated_alias or alias.evaluated_name
                    if bound in names and (module or "").rpartition(".")[2] != runtime_last:
                        taken.add(bound)
            elif isinstance(small, cst.Assign):
                taken |= names & _assigned_names(t.target for t in small.targets)
    return taken


def _assigned_names(targets: Iterable[cst.BaseExpression]) -> set[str]:
    names: set[str] = set()
    for target in targets:
        if isinstance(target, cst.Name):
            names.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            names |= _assigned_names(e.value for e in target.elements)
    return names


def imports_celery(statement: cst.CSTNode) -> bool:
    """``import celery...`` / ``from celery... import`` as this simple statement line."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
            name = cst.helpers.get_full_name_for_node(small.module) or ""
            if name.partition(".")[0] == "celery":
                return True
        elif isinstance(small, cst.Import) and any(
            (cst.helpers.get_full_name_for_node(a.name) or "").partition(".")[0] == "celery"
            for a in small.names
        ):
            return True
    return False


def local_celery_import(body: cst.BaseSuite) -> int | None:
    """Index of the last statement of a function body that imports Celery."""
    if not isinstance(body, cst.IndentedBlock):
        return None
    found = [i for i, statement in enumerate(body.body) if imports_celery(statement)]
    return found[-1] if found else None
