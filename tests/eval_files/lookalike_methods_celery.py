# The same shapes where the receiver is Celery's: an app by name, or Celery imported in scope.
from proj.worker import broker


async def dispatch(agent_id, client, celery_app):
    broker.send_task("agents.run", args=[agent_id])  # CEL003: 4
    broker.client.send_task("agents.run")  # CEL003: 4
    celery_app.send_task("agents.run", args=[agent_id])  # CEL003: 4
    client.send_task("agents.run")


async def local_import(client):
    from celery import current_app

    client.send_task("agents.run")  # CEL003: 4
    return current_app
