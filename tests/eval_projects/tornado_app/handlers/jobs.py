"""Sync handler methods of a RequestHandler subclass run on the IOLoop: Celery calls block it."""

from jobs.tasks import enqueue, process
from tornado.web import RequestHandler as Handler

from handlers.base import BaseHandler


class JobHandler(BaseHandler):
    def get(self, job_id):
        result = process.apply_async((job_id,))  # CEL002: 17
        self.write({"id": result.id})

    def post(self, job_id):
        enqueue(job_id)  # CEL007: 8
        self.submit(job_id)  # CEL007: 8

    def submit(self, job_id):
        process.delay(job_id)

    async def put(self, job_id):
        process.delay(job_id)  # CEL001: 8


class DirectHandler(Handler):
    def delete(self, job_id):
        process.delay(job_id)  # CEL001: 8

    def on_finish(self):
        process.delay("done")  # CEL001: 8


class NotAHandler:
    def get(self, job_id):
        process.delay(job_id)
