"""Build hook: the repository's ``codemod/`` folder installs as ``celery_async_codemod``.

PyPI's ``codemod`` distribution owns the top-level name ``codemod``, so the wheel ships our
folder under an import name nobody else uses (``force-include`` in pyproject.toml). Hatchling
cannot rename a package in an editable install (its ``sources`` option may only strip a
prefix there), and a plain ``force-include`` would install a stale copy. So for editable
installs this hook writes a one-file package whose ``__path__`` is the live ``codemod/``
folder: edits show up at once, and ``celery_async_codemod.cli`` is ``codemod/cli.py``.
"""

from __future__ import annotations

import os
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SHIM = '''"""Editable install of flake8-celery-async: the sources are {folder!r}."""

__path__ = [{folder!r}]
__file__ = {init!r}
with open(__file__, encoding="utf-8") as _source:
    exec(compile(_source.read(), __file__, "exec"))
del _source
'''


class CodemodImportName(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version != "editable":
            return
        folder = os.path.join(self.root, "codemod")
        shim = os.path.join(self.directory, "celery_async_codemod_shim.py")
        os.makedirs(self.directory, exist_ok=True)
        with open(shim, "w", encoding="utf-8") as out:
            out.write(SHIM.format(folder=folder, init=os.path.join(folder, "__init__.py")))
        build_data["force_include_editable"][shim] = "celery_async_codemod/__init__.py"
