from celery import current_app

from proj.celery import app


async def revoke(task_id):
    app.control.revoke(task_id, terminate=True)  # CEL006: 4
    current_app.control.ping(timeout=0.5)  # CEL006: 4


async def inspect_workers():
    inspector = app.control.inspect(timeout=1)  # constructing it does no I/O
    active = inspector.active()  # CEL006: 13
    stats = app.control.inspect().stats()  # CEL006: 12
    return active, stats


async def not_celery(robot, panel):
    robot.control.move(1)
    panel.control.reset()
