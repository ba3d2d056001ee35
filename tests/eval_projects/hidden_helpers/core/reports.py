"""Dispatch hidden behind a classmethod and a staticmethod."""

from worker.celery_app import resize, send_report


class ReportService:
    @classmethod
    def queue(cls, report_id):
        send_report.delay(report_id)

    @staticmethod
    def queue_thumbnail(image_id):
        return resize.apply_async((image_id,), countdown=5)

    @classmethod
    def describe(cls, report_id):
        return {"id": report_id}  # no Celery I/O: calls to it are fine

    async def refresh(self, report_id):
        self.__class__.queue(report_id)  # CEL007: 8
        type(self).describe(report_id)
