"""The Celery app: one construction, configured from the environment."""

import os

from celery import Celery

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")
RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", BROKER_URL)

app = Celery("shop", broker=BROKER_URL, backend=RESULT_BACKEND, include=["shop.tasks"])
app.conf.update(task_default_queue="shop", result_expires=3600)
