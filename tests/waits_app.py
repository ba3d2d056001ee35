"""The Celery app whose tasks the result-wait tests and benchmark await (a real worker runs it).

``BROKER_URL`` the broker; ``BACKEND_URL`` the result backend (Redis, or ``db+sqlite:///...``).
"""

from __future__ import annotations

import os

from celery_asyncx import CeleryAsync

celery_app = CeleryAsync(
    "waits_app", broker=os.environ["BROKER_URL"], backend=os.environ["BACKEND_URL"]
)


@celery_app.task(name="waits.echo")
def echo(value: object) -> object:
    return value


@celery_app.task(name="waits.boom")
def boom(message: str) -> None:
    raise ValueError(message)
