"""HTTP endpoints. Every async endpoint below blocks the event loop on Celery I/O."""

from celery import chain, group
from celery.result import AsyncResult
from fastapi import FastAPI

from .celery_app import app as celery_app
from .tasks import charge_card, reserve_stock, send_receipt, total

api = FastAPI(title="shop")


def enqueue_receipt(order_id: int, email: str) -> str:
    """A sync helper in the same module: harmless in sync code, blocking when called from async."""
    return send_receipt.delay(order_id, email).id


@api.post("/orders/{order_id}")
async def place_order(order_id: int, email: str, quantity: int = 1) -> dict[str, str]:
    reservation = reserve_stock.delay(order_id, quantity)  # CEL001
    payment = charge_card.apply_async((order_id, 4200), countdown=1)  # CEL002
    audit = celery_app.send_task("audit.record", args=["order", order_id])  # CEL003
    return {"reservation": reservation.id, "payment": payment.id, "audit": audit.id}


@api.post("/orders/{order_id}/receipt")
async def resend_receipt(order_id: int, email: str) -> dict[str, str]:
    return {"task_id": enqueue_receipt(order_id, email)}  # CEL007


@api.post("/restock")
async def restock(order_ids: list[int]) -> dict[str, str]:
    workflow = chain(group(reserve_stock.s(i, 10) for i in order_ids), total.s())
    result = workflow.apply_async()  # CEL004
    return {"workflow": result.id}


@api.get("/tasks/{task_id}")
async def task_status(task_id: str) -> dict[str, object]:
    result = AsyncResult(task_id, app=celery_app)
    if result.ready():  # CEL005
        return {"state": result.state, "value": result.get(timeout=1)}  # CEL005 (twice)
    return {"state": "PENDING"}


@api.delete("/tasks/{task_id}")
async def cancel(task_id: str) -> dict[str, bool]:
    celery_app.control.revoke(task_id)  # CEL006
    return {"revoked": True}


@api.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}  # no Celery I/O: nothing to report


@api.post("/orders/{order_id}/sync")
def place_order_sync(order_id: int) -> dict[str, str]:
    """A sync endpoint: FastAPI runs it in a worker thread, so blocking here is fine."""
    return {"reservation": reserve_stock.delay(order_id, 1).id}
