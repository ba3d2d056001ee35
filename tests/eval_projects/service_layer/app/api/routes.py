import asyncio

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

import app.services.dispatcher as disp
from app import services
from app.services import enqueue, enqueue_report
from app.services.dispatcher import describe, send_task
from app.services.notifier import notifier
from app.services.workflow import BaseService, rebuild, start_many, start_pipeline
from app.utils import aio
from app.utils.aio import create_task as project_create_task

router = APIRouter()


@router.post("/docs/{doc_id}")
async def index_doc(doc_id: int):
    enqueue(doc_id)  # CEL007: 4
    services.enqueue_report(doc_id)  # CEL007: 4
    enqueue_report(doc_id)  # CEL007: 4
    disp.enqueue_index(doc_id)  # CEL007: 4
    send_task("app.reindex", doc_id)  # CEL007: 4
    start_pipeline(doc_id)  # CEL007: 4
    start_many([doc_id])  # CEL007: 4
    rebuild(doc_id)  # CEL007: 4
    notifier.send(doc_id)  # CEL007: 4
    notifier.render(doc_id)
    return describe(doc_id)


@router.post("/offloaded/{doc_id}")
async def offloaded(doc_id: int):
    await asyncio.to_thread(enqueue, doc_id)
    await run_in_threadpool(start_pipeline, doc_id)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, disp.enqueue_index, doc_id)
    return {"ok": True}


async def work(doc_id):
    await asyncio.sleep(0)


@router.get("/lookalikes/{doc_id}")
async def lookalikes(doc_id: int):
    task = asyncio.create_task(work(doc_id))
    await asyncio.gather(work(doc_id), work(doc_id))
    aio.create_task(doc_id)  # CEL007: 4
    project_create_task(doc_id)  # CEL007: 4
    return await task


class DocService(BaseService):
    async def handle(self, doc_id):
        self.publish(doc_id)  # CEL007: 8
        return self.label(doc_id)


async def stream(doc_ids):
    for doc_id in doc_ids:
        start_pipeline(doc_id)  # CEL007: 8
        yield doc_id


class Local:
    def ping(self, doc_id):
        start_pipeline(doc_id)


local = Local()


async def uses_local(doc_id):
    local.ping(doc_id)  # CEL007: 4
