"""The service layer: sync helpers that dispatch (called from async endpoints elsewhere)."""

from app.worker.celery_app import celery_app
from app.worker.tasks import index_task, report_task


def enqueue_index(doc_id):
    index_task.delay(doc_id)


def enqueue_report(user_id):
    return report_task.apply_async((user_id,), countdown=5)


def send_task(name, *args):
    # a bare module-level wrapper named like Celery's method
    return celery_app.send_task(name, args=args)


def describe(doc_id):
    return {"doc": doc_id}
