"""Layer 5: the project (the repository root, source roots, module names, the walk, the index,
the cache).

``flake8_celery_async.project.build_index(root, settings)`` stays the public way to build an
index (imported when first asked for: this package's modules load without the indexer).
"""

from __future__ import annotations

if False:  # for type checkers only
    from .indexer import build_index as build_index


def __getattr__(name: str) -> object:
    if name == "build_index":
        from .indexer import build_index

        return build_index
    raise AttributeError(name)
