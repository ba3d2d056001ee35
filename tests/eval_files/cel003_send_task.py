import celery
from celery import current_app
from celery import current_app as dispatch

from proj.celery import app, celery_app


async def by_name(user_id):
    app.send_task("proj.tasks.sync_user", args=[user_id])  # CEL003: 4
    celery_app.send_task("proj.tasks.sync_user", kwargs={"id": user_id})  # CEL003: 4
    current_app.send_task("proj.tasks.sync_user")  # CEL003: 4
    celery.current_app.send_task("proj.tasks.sync_user")  # CEL003: 4
    dispatch.send_task("proj.tasks.sync_user")  # CEL003: 4
    task_id = app.send_task("x").id  # CEL003: 14
    return task_id


async def fixed(user_id):
    await app.send_taskx("proj.tasks.sync_user", args=[user_id])


def sync(user_id):
    app.send_task("proj.tasks.sync_user", args=[user_id])
