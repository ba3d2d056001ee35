# A module that uses RQ and Celery both: a dispatch of a Celery task is still reported.
from django_rq import job

from proj.celery_tasks import rebuild_index


@job("default")
def send_welcome(user_id):
    return user_id


async def signup(user_id):
    rebuild_index.delay()  # CEL001: 4
