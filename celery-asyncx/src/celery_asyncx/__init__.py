"""Dispatch Celery tasks from ``async def`` code without stalling the loop.

``CeleryAsync`` (tasks get ``delayx`` / ``apply_asyncx``, the app
``send_taskx``), ``run_blocking`` for any other blocking Celery call,
``read_result`` for result properties, and one exception,
``BrokerUnavailable``. See the README for the settings and guarantees.
"""

from __future__ import annotations

from .app import AsyncTask, CeleryAsync, create_celery_app
from .blocking import read_result, run_blocking, wait_result
from .dispatcher import DEFAULTS
from .errors import BrokerUnavailable

__all__ = [
    "DEFAULTS",
    "AsyncTask",
    "BrokerUnavailable",
    "CeleryAsync",
    "__version__",
    "create_celery_app",
    "read_result",
    "run_blocking",
    "wait_result",
]

__version__ = "0.2.0"
