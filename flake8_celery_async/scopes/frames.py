"""Scopes: a frame per module, function, lambda, class body and comprehension.

A frame knows whether its code runs on the event loop, what the names bound in it are
(bindings, with their kinds) and what its imports bind (imports are per scope, as in Python:
``import asyncio as t`` inside one ``def`` says nothing about ``t`` anywhere else).
"""

from __future__ import annotations

import ast

from .kinds import MaybeKind


class Func:
    """A sync function or method, for CEL007; its body is scanned only when an async def
    calls it or the project index asks (most sync code never is, and is then never
    classified)."""

    __slots__ = ("calls", "node", "parent", "qualname", "scanned", "site", "skip")

    def __init__(
        self, node: ast.FunctionDef, parent: Frame, qualname: str, skip: bool = False
    ) -> None:
        self.node = node
        self.parent = parent  # the frame the def statement is in
        self.qualname = qualname  # "f", "Service.publish" (nested: "outer.<locals>.f")
        self.site: tuple[int, str] | None = None  # first blocking call inside it: (line, what)
        self.calls: list[tuple[ast.Call, ast.expr, Frame]] = []  # (call, callee, frame)
        self.skip = skip  # a generator, or offloaded by its decorator
        self.scanned = False


class Frame:
    __slots__ = (
        "_visible", "annotated", "bases", "bindings", "cls", "declared", "defs", "func", "imports",
        "is_class", "members", "name", "on_loop", "parent", "returns", "tornado", "unfixable",
    )  # fmt: skip

    def __init__(
        self,
        parent: Frame | None,
        on_loop: bool,
        func: Func | None = None,
        unfixable: str | None = None,
        is_class: bool = False,
        cls: Frame | None = None,
        name: str = "",
    ) -> None:
        self.parent = parent
        self.on_loop = on_loop
        self.func = func
        self.unfixable = unfixable
        self.is_class = is_class
        self.cls = cls  # for a method: the frame of its class body
        self.name = name  # qualified name prefix of what is defined here ("", "Cls.")
        self.bindings: dict[str, MaybeKind] = {}
        self.annotated: dict[str, str] = {}  # parameter -> the class its annotation names
        self.declared: set[str] = set()  # a class body's ``name: Cls`` (a type, not a value)
        # a class body: self.x its methods assign -> the class made (for how many methods)
        self.members: tuple[int, dict[str, str | None]] | None = None
        self.imports: dict[str, str] = {}  # local name -> "module" or "module.attr"
        self.defs: dict[str, Func] = {}
        self.bases: tuple[str, ...] = ()
        self.tornado = False  # a class body: the class is a Tornado RequestHandler
        self.returns: list[MaybeKind] | None = None  # an indexed async def: its return kinds
        self._visible: tuple[Frame, ...] | None = None

    def visible(self) -> tuple[Frame, ...]:
        """This frame and the enclosing ones whose names are visible here (class bodies are
        visible only from themselves). Asked for nearly every name: made once per frame
        (a frame's parents never change)."""
        found = self._visible
        if found is None:
            frames, frame = [self], self.parent
            while frame is not None:
                if not frame.is_class:
                    frames.append(frame)
                frame = frame.parent
            found = self._visible = tuple(frames)
        return found

    def lookup(self, key: str) -> tuple[bool, MaybeKind]:
        """Is ``key`` (a name or dotted name) bound in scope, and to what kind?"""
        for frame in self.visible():
            if key in frame.bindings:
                return True, frame.bindings[key]
            if key in frame.imports:
                return False, None
        return False, None

    def origin(self, name: str) -> str:
        """What an imported name refers to (``"asyncio"``, ``"celery.chain"``), or ``""``
        when it is not an import in scope (a local binding shadows an outer import)."""
        for frame in self.visible():
            if name in frame.imports:
                return frame.imports[name]
            if name in frame.bindings or name in frame.defs:
                return ""
        return ""

    def bind_import(self, local: str, target: str) -> None:
        self.imports[local] = target
        self.bindings.pop(local, None)
        self.defs.pop(local, None)

    def bind(self, key: str, kind: MaybeKind) -> None:
        self.bindings[key] = kind
        self.imports.pop(key, None)
        self.annotated.pop(key, None)  # rebound: no longer what the annotation says

    def function(self, name: str) -> Func | None:
        """The sync function a bare name calls here, if it is one defined in scope."""
        for frame in self.visible():
            if frame.is_class:
                continue
            if name in frame.defs:
                return frame.defs[name]
            if name in frame.bindings or name in frame.imports:
                return None  # a local variable, parameter or import shadows it
        return None
