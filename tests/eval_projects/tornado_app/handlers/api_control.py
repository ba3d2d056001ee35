"""Handlers two classes (and two modules) away from RequestHandler, and look-alikes."""

from jobs.tasks import app, process

from handlers.api import ApiHandler, ApiMixin


class Revoke(ApiHandler):
    def post(self, task_id):
        app.control.revoke(task_id)  # CEL006: 8

    def delete(self, task_id):
        process.apply_async((task_id,))  # CEL002: 8


class NotAHandler(ApiMixin):
    def post(self, name):
        process.delay(name)  # a mixin's method: not run on the IOLoop
