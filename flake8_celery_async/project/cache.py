"""The on-disk cache: module summaries and findings, keyed by content hash and settings.

Like ruff's ``.ruff_cache``: a folder at the project root, ``.celery_async_cache`` (holding
a ``.gitignore`` of ``*`` and a ``CACHEDIR.TAG``, so nothing of it lands in a commit or a
backup). ``CELERY_ASYNC_CACHE_DIR`` (or the ``celery-cache-dir`` option) moves it; the value
``off`` disables it. One ``marshal`` file per project, settings and part, written
atomically; findings are merged under a lock, since flake8's workers each save their own.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable

from .. import __version__
from ..syntax.source import content_hash

CACHE_NAME = ".celery_async_cache"
CACHE_ENV = "CELERY_ASYNC_CACHE_DIR"
OFF = ("off", "none", "false", "0", "no")
_LAYERS = ("syntax", "scopes", "rules", "analysis", "project", "pipeline", "frontends")
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# flake8-celery-async's cache\n"

if False:  # for type checkers only
    from typing import Any


def _code_stamp() -> str:
    """This checker's own code, by its files' modification times: an edited checker (a
    development install) never reads what an older one cached."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamps = []
    for folder in (package, *(os.path.join(package, layer) for layer in _LAYERS)):
        try:
            with os.scandir(folder) as listing:
                stamps += [e.stat().st_mtime_ns for e in listing if e.name.endswith(".py")]
        except OSError:
            continue
    return f"{__version__}-{max(stamps, default=0)}"


def cache_dir(root: str, configured: str | None) -> str | None:
    """Where the cache lives for this project root, or ``None`` when it is disabled."""
    where = os.environ.get(CACHE_ENV) or configured
    if where is None or where.strip() == "":
        return os.path.join(root, CACHE_NAME)
    if where.strip().lower() in OFF:
        return None
    return os.path.abspath(where)


class Cache:
    """One project's cache file (for one set of settings)."""

    def __init__(self, root: str, settings_key: str, configured: str | None = None) -> None:
        self.dir = cache_dir(root, configured)
        self.stamp = _code_stamp()
        # Not the stamp: a newer checker overwrites an older one's files instead of adding its
        # own beside them (what a file holds is checked against the stamp when it is read).
        self.key = content_hash(f"{root}\0{settings_key}".encode())
        self.path = self.file("index")

    def file(self, part: str) -> str | None:
        """``index`` (what a warm run needs), ``full`` (every summary, for a rebuild),
        ``findings`` (the CLI's)."""
        return os.path.join(self.dir, f"{part}-{self.key}.marshal") if self.dir else None

    def load(self, part: str = "index") -> dict[str, Any]:
        path = self.file(part)
        if path is None:
            return {}
        try:
            with open(path, "rb") as f:
                data = marshal.loads(f.read())  # one read: marshal.load(f) reads in pieces
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        return data if isinstance(data, dict) and data.get("v") == self.stamp else {}

    def save(self, data: dict[str, Any], part: str = "index") -> None:
        """Write atomically; a cache that cannot be written is no error."""
        path = self.file(part)
        if path is None or self.dir is None:
            return
        data["v"] = self.stamp
        try:
            os.makedirs(self.dir, exist_ok=True)
            ignore = os.path.join(self.dir, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w") as f:
                    f.write("# Automatically created by flake8-celery-async.\n*\n")
                with open(os.path.join(self.dir, "CACHEDIR.TAG"), "w") as f:
                    f.write(_TAG)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                marshal.dump(data, f)
            os.replace(tmp, path)
        except (OSError, ValueError):
            return


class FindingsCache:
    """Findings of unchanged files from earlier runs, in one part of a :class:`Cache`:
    path -> (content hash, key, findings). The key says what else they depend on (the
    settings, the selection, what the project index knows)."""

    def __init__(self, cache: Cache | None, part: str) -> None:
        self.cache, self.part = cache, part
        self.entries: dict[str, tuple[str, str, list[tuple[object, ...]]]] | None = None
        self.new: dict[str, tuple[str, str, list[tuple[object, ...]]]] = {}

    def _load(self) -> dict[str, tuple[str, str, list[tuple[object, ...]]]]:
        if self.cache is None:
            return {}
        found = self.cache.load(self.part).get("findings", {})
        return found if isinstance(found, dict) else {}

    def load(self) -> dict[str, tuple[str, str, list[tuple[object, ...]]]]:
        if self.entries is None:
            self.entries = self._load()
        return self.entries

    def get(self, path: str, sha: str, key: str) -> list[tuple[object, ...]] | None:
        return self.lookup(key)(path, sha)

    def lookup(self, key: str) -> Callable[[str, str], list[tuple[object, ...]] | None]:
        """:meth:`get` with this ``key``, as ``lookup(path, sha)``: the entries and the key
        bound once (a warm run asks it for every file of the project)."""
        entries = self.load()

        def lookup(path: str, sha: str) -> list[tuple[object, ...]] | None:
            entry = entries.get(path)
            return entry[2] if entry is not None and entry[0] == sha and entry[1] == key else None

        return lookup

    def put(self, path: str, sha: str, key: str, findings: list[tuple[object, ...]]) -> None:
        if self.get(path, sha, key) != findings:
            self.new[path] = self.load()[path] = (sha, key, findings)

    def save(self) -> None:
        """Add this process's new entries to what is on disk now (another process may have
        saved since this one read it), under an advisory lock where the system has one."""
        if self.cache is None or not self.new or self.cache.dir is None:
            return
        new, self.new = self.new, {}
        lock = None
        try:
            import fcntl

            os.makedirs(self.cache.dir, exist_ok=True)
            lock = open(os.path.join(self.cache.dir, f"{self.part}.lock"), "a")  # noqa: SIM115
            fcntl.flock(lock, fcntl.LOCK_EX)
        except (ImportError, OSError):  # no fcntl (Windows): a lost race costs a recheck
            pass
        try:
            self.cache.save({"findings": {**self._load(), **new}}, self.part)
        finally:
            if lock is not None:
                lock.close()
