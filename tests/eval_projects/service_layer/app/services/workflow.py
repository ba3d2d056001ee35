"""Helpers two and three calls away from the dispatch."""

from app.services import dispatcher
from app.services.dispatcher import enqueue_index


def start_pipeline(doc_id):
    enqueue_index(doc_id)  # two levels from an endpoint


def start_many(doc_ids):
    for doc_id in doc_ids:
        start_pipeline(doc_id)  # three levels


def rebuild(doc_id):
    return dispatcher.send_task("app.rebuild", doc_id)


class BaseService:
    def publish(self, doc_id):
        enqueue_index(doc_id)

    def label(self, doc_id):
        return dispatcher.describe(doc_id)
