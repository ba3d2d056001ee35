"""A Tornado handler subclassing a project base, in a file with no Celery word but the helper."""

from jobs.tasks import enqueue

from handlers.base import BaseHandler


class PlainHandler(BaseHandler):
    def get(self, job_id):
        enqueue(job_id)  # CEL007: 8
