"""Shapes from a real monitoring app: the app behind a `capp` property, abortable results."""

from celery.contrib.abortable import AbortableAsyncResult

from handlers.base import BaseHandler


class WorkerControl(BaseHandler):
    @property
    def capp(self):
        return self.application.capp

    def post(self, worker):
        self.capp.control.broadcast("shutdown", destination=[worker])  # CEL006: 8

    def delete(self, task_id):
        result = AbortableAsyncResult(task_id)
        result.abort()  # CEL005: 8
        self.write({"state": result.state})  # CEL005: 29

    def wait_results(self, result):
        # run in an executor by its caller: never on the loop
        return result.get(propagate=False)
