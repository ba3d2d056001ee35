"""A FastAPI service and its Celery app, for the runtime's end-to-end tests and benchmarks.

Copied into a temporary directory (it imports the installed ``celery_asyncx``), then served by
uvicorn and consumed by a Celery worker. Environment:

``BROKER_URL``   the broker; ``BACKEND_URL`` the result backend (default: a Redis broker,
                 none for RabbitMQ; ``none``: none)
``LEDGER``       file the ``record`` task appends one line per execution to
``DISPATCH``     how ``POST /dispatch/{token}`` sends the task:
                 ``x`` (default) ``await apply_asyncx`` on a :class:`CeleryAsync` app;
                 ``plain`` ``apply_async`` on a stock Celery app, on the event loop;
                 ``to_thread`` ``asyncio.to_thread(apply_async)`` on a stock Celery app, the
                 approach of the widely shared "FastAPI and Celery" article
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time
from typing import Any

from celery import Celery, signals
from celery_asyncx import BrokerUnavailable, CeleryAsync, create_celery_app, run_blocking
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

BROKER_URL = os.environ["BROKER_URL"]
BACKEND_URL = os.environ.get("BACKEND_URL") or None
if BACKEND_URL == "none":
    BACKEND_URL = None
elif BACKEND_URL is None and BROKER_URL.startswith("redis"):
    BACKEND_URL = BROKER_URL
DISPATCH = os.environ.get("DISPATCH", "x")
LEDGER = os.environ.get("LEDGER", os.devnull)

if DISPATCH == "x":
    celery_app: Celery = create_celery_app(BROKER_URL, BACKEND_URL, main="runtime_app")
else:  # stock Celery, stock settings
    celery_app = Celery("runtime_app", broker=BROKER_URL, backend=BACKEND_URL)

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


@signals.before_task_publish.connect
def stamp_request_id(headers: dict[str, Any], **_: Any) -> None:
    """Runs in the thread that publishes: carries the handler's request id to the task."""
    headers["request_id"] = request_id.get()
    headers["published_by"] = threading.current_thread().name


@celery_app.task(name="record", bind=True)
def record(self: Any, token: str) -> dict[str, Any]:
    line = f"{self.request.id}\t{token}\t{self.request.get('request_id')}\n"
    with open(LEDGER, "a") as ledger:  # one write of one short line: atomic with O_APPEND
        ledger.write(line)
    return {
        "token": token,
        "ran_at": time.time(),
        "request_id": self.request.get("request_id"),
        "published_by": self.request.get("published_by"),
        "queue": self.request.delivery_info.get("routing_key"),
    }


@celery_app.task(name="nap")
def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


api = FastAPI()


@api.exception_handler(BrokerUnavailable)
async def broker_unavailable(request: Request, exc: BrokerUnavailable) -> JSONResponse:
    return JSONResponse({"detail": str(exc)[:300]}, status_code=503, headers={"Retry-After": "1"})


@api.exception_handler(Exception)  # plain/to_thread modes: whatever the stock client raised
async def dispatch_failed(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"{type(exc).__name__}: {exc}"[:300]}, status_code=503)


@api.get("/ping")
async def ping() -> dict[str, Any]:
    names = [thread.name for thread in threading.enumerate()]
    pool = [name for name in names if name.startswith("celery-async")]
    return {"ok": True, "threads": len(names), "pool_threads": len(pool)}


@api.get("/dns")
async def dns() -> dict[str, float]:
    start = time.perf_counter()
    await asyncio.get_running_loop().getaddrinfo("localhost", 80)
    return {"seconds": time.perf_counter() - start}


@api.get("/executor")
async def executor(sleep: float = 0.0) -> dict[str, float]:
    start = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, time.sleep, sleep)
    return {"seconds": time.perf_counter() - start}


@api.post("/dispatch/{token}")
async def dispatch(token: str) -> dict[str, Any]:
    request_id.set(f"req-{token}")
    options: dict[str, Any] = {"task_id": token}
    if DISPATCH == "x":
        result = await record.apply_asyncx((token,), **options)
    elif DISPATCH == "plain":
        result = record.apply_async((token,), **options)
    else:
        result = await asyncio.to_thread(record.apply_async, (token,), **options)
    return {"id": result.id}


@api.get("/result/{task_id}")
async def result(task_id: str, timeout: float = 10.0) -> Any:
    """Waits for a task's return value through the runtime's pool."""
    assert isinstance(celery_app, CeleryAsync)
    return await run_blocking(celery_app.AsyncResult(task_id).get, timeout=timeout)
