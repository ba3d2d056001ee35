"""Does the project run its Celery worker with an asyncio-capable pool?

``celery_aio_pool`` and ``celery_pool_asyncio`` run ``async def`` tasks on an event loop, so
CEL008 does not apply there. They are wired in the Celery module (``import celery_aio_pool``,
``worker_pool = "celery_aio_pool.pool:AsyncIOPool"``, ``CELERY_CUSTOM_WORKER_POOL``) or on the
worker's command line (``-P celery_pool_asyncio:TaskPool``, ``--pool=...``) in a Dockerfile,
compose file, Procfile, Makefile, shell script or config file. A pool that is only listed as
a requirement is not enough: it must be used.
"""

from __future__ import annotations

import re

POOLS = (b"celery_aio_pool", b"celery_pool_asyncio")
_POOL = rb"(?:celery_aio_pool|celery_pool_asyncio)\b"
_USE = re.compile(
    rb"(?:^|[\s\"'\[,;&|(])(?:-P|--pool)[\"']?(?:\s*=\s*|\s*,\s*|\s+)[\"']?" + _POOL
    + rb"|(?i:worker_pool|celeryd_pool)[\"']?\s*[:=]\s*"
    rb"[\"']?" + _POOL
    + rb"|^\s*(?:import|from)\s+" + _POOL,
    re.MULTILINE,
)  # fmt: skip
# In Python only statements count (not a docstring quoting a config): an import, or a line
# that sets worker_pool (an assignment, a keyword argument, a dict entry), or a -P argument.
_PY_USE = re.compile(
    rb"^\s*(?:import|from)\s+" + _POOL
    + rb"|^\s*[\"']?[\w.]*(?i:worker_pool|celeryd_pool)[\"']?\s*[:=]\s*[\"']" + _POOL
    + rb"|[\"'](?:-P|--pool)[\"']\s*,\s*[\"']" + _POOL
    + rb"|[\"']--pool=" + _POOL,
    re.MULTILINE,
)  # fmt: skip


def uses_async_pool(data: bytes, python: bool = False) -> bool:
    """Does this file's text wire an asyncio-capable worker pool?"""
    if not any(pool in data for pool in POOLS):
        return False
    return (_PY_USE if python else _USE).search(data) is not None


PRODUCER = b"setup_nonblocking_producer("
_TCELERY = re.compile(rb"^\s*(?:import|from)\s+tcelery\b", re.MULTILINE)


def uses_nonblocking_producer(data: bytes) -> bool:
    """tornado-celery's ``tcelery.setup_nonblocking_producer()`` makes dispatch non-blocking
    for the whole process (results arrive by callback)."""
    return PRODUCER in data and _TCELERY.search(data) is not None
