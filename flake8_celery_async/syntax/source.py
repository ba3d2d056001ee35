"""Source files as bytes: read, hash, decode and split into lines, each defined once here
(the checker, the index, the cache and the codemod all use these)."""

from __future__ import annotations

import os

try:  # what hashlib's blake2b is, without hashlib loading OpenSSL first (3 ms of a warm run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b


def read_bytes(path: str, chunk: int = 1 << 16) -> bytes:
    """A file's bytes in three syscalls for most files (``open().read()`` makes six or more):
    this runs for every file. Raises ``OSError``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, chunk)
        if len(data) < chunk:
            return data
        chunks, size = [data], os.fstat(fd).st_size  # a big file: the rest in one read
        while data := os.read(fd, max(size, chunk)):
            chunks.append(data)
        return b"".join(chunks)
    finally:
        os.close(fd)


def content_hash(data: bytes) -> str:
    """The content hash the cache keys files by (and the codemod checks a file against before
    it writes): 128 bits of BLAKE2b, hex."""
    return blake2b(data, digest_size=16).hexdigest()


def detect_encoding(data: bytes) -> str:
    """The encoding Python reads this source with: PEP 263 cookie, BOM, default UTF-8.
    Raises ``SyntaxError`` for an unknown or contradictory declaration."""
    import io
    import tokenize  # only for files that are decoded

    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def decode(data: bytes, errors: str = "replace") -> str:
    """Decode source bytes as Python does (see :func:`detect_encoding`).

    With ``errors="replace"`` undecodable bytes (CPython's parser accepts them in comments)
    become U+FFFD, and a bad declaration falls back to UTF-8: for text that is only searched.
    With ``errors="strict"`` (text that is rewritten) both raise.
    """
    if errors != "strict":
        try:
            encoding = detect_encoding(data)
        except SyntaxError:
            encoding = "utf-8"
        return data.decode(encoding, errors=errors)
    return data.decode(detect_encoding(data))


def split_lines(text: str) -> list[str]:
    """Physical lines as Python numbers them (``\\n``, ``\\r\\n`` or ``\\r``), ends kept."""
    import io

    return io.StringIO(text, newline="").readlines()


def may_run_on_loop(data: bytes) -> bool:
    """Cheapest check: without ``async`` or a ``Handler`` class nothing runs on the loop."""
    return b"async" in data or b"Handler" in data
