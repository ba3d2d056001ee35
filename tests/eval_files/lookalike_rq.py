# RQ's @job gives a function a .delay() that enqueues on RQ, not Celery: a module of RQ jobs,
# with nothing of Celery in scope, is not reported.
import django_rq
from django_rq import job

from proj.jobs import rebuild_index


@job("default")
def send_welcome(user_id):
    return user_id


async def signup(user_id):
    send_welcome.delay(user_id)
    rebuild_index.delay()
    django_rq.enqueue(send_welcome, user_id)
