"""The runtime the rewritten code imports: the ``celery-asyncx`` distribution.

By default rewritten files import ``from celery_asyncx import ...`` (absolute, resolvable
wherever the distribution is installed) and the summary names :data:`REQUIREMENT`, the line to
add to the repository's dependencies. ``--vendor`` writes the package's source into the
repository instead: :func:`vendored_files` reads it from the folder the wheel bundles it into
(``celery_async_codemod/_runtime/celery_asyncx``, pyproject.toml's ``force-include``) or, in a
checkout or an editable install, from ``celery-asyncx/src/celery_asyncx`` itself. There is
never a second copy in the repository.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = "celery_asyncx"
DISTRIBUTION = "celery-asyncx"
VERSION = "0.2.0"
"""The runtime's version (``celery-asyncx/pyproject.toml``; a test keeps them equal)."""
REQUIREMENT = (
    f"{DISTRIBUTION} @ git+https://github.com/flake8-celery-async/flake8-celery-async"
    f"@v{VERSION}#subdirectory={DISTRIBUTION}"
)
"""The one requirement line the summary gives and the codemod may add."""

MARKER = "# celery_asyncx — vendored by celery-async-codemod".encode()
"""First line of every file ``--vendor`` writes (delete it to own the file)."""

_HERE = Path(__file__).resolve().parent
SOURCES = (_HERE / "_runtime" / PACKAGE, _HERE.parent / DISTRIBUTION / "src" / PACKAGE)


def source_dir() -> Path:
    for folder in SOURCES:
        if (folder / "__init__.py").is_file():
            return folder
    raise FileNotFoundError(f"the {PACKAGE} sources are not installed with the codemod")


def vendored_files() -> dict[str, bytes]:
    """``relative path -> bytes`` of the package as ``--vendor`` writes it, each file marked."""
    folder = source_dir()
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            data = path.read_bytes()
            if path.suffix == ".py":
                data = MARKER + b"\n" + data
            files[path.relative_to(folder).as_posix()] = data
    return files


def is_vendored(data: bytes) -> bool:
    """Our marker on the first line (the user deletes it to own the file)."""
    return data.startswith(MARKER) or data.startswith(b"\xef\xbb\xbf" + MARKER)
