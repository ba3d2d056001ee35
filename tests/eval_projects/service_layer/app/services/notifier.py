"""A module-level service object, imported by the API: its methods dispatch."""

from app.worker.tasks import report_task


class Notifier:
    def send(self, user_id):
        report_task.delay(user_id)

    def render(self, user_id):
        return f"user {user_id}"


notifier = Notifier()
