"""Tasks: @app.task, @shared_task and a custom base class."""

from celery import Task, shared_task

from .celery_app import app


class AuditedTask(Task):
    """A custom base class, as many projects have (retries, logging, metrics...)."""

    autoretry_for = (ConnectionError,)
    retry_kwargs = {"max_retries": 3}


@app.task
def send_receipt(order_id: int, email: str) -> str:
    return f"receipt for order {order_id} sent to {email}"


@shared_task
def reserve_stock(order_id: int, quantity: int) -> int:
    return quantity


@app.task(base=AuditedTask, bind=True)
def charge_card(self: Task, order_id: int, amount_cents: int) -> dict[str, int]:
    return {"order_id": order_id, "charged": amount_cents}


@app.task
def total(values: list[int]) -> int:
    return sum(values)


@app.task
async def refresh_catalogue() -> None:  # CEL008: Celery never awaits this coroutine
    pass
