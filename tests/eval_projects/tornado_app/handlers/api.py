"""An API base class between the handlers and BaseHandler: this module names neither Celery
nor Tornado, yet its subclasses are RequestHandlers."""

import os

from handlers.base import BaseHandler


class ApiHandler(BaseHandler):
    def prepare(self):
        if os.environ.get("API_OFF"):
            self.send_error(401)


class ApiMixin:
    def post(self, name):
        return name
