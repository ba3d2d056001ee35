"""A project module with sync functions named like asyncio's: never joined by name."""

from app.worker.tasks import index_task


def create_task(doc_id):
    index_task.delay(doc_id)


def gather(*doc_ids):
    for doc_id in doc_ids:
        index_task.delay(doc_id)
