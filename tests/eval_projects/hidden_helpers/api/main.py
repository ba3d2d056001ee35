"""The API, run from this folder (``uvicorn main:app``): ``utils`` and ``tracking`` are
top-level modules here."""

from tracking import show, wait_done
from utils import kick, plain, rescore
from worker.celery_app import score


async def start(doc_id):
    kick("reindex")  # CEL007: 4
    rescore(doc_id)  # CEL007: 4
    plain(doc_id)
    return await wait_done(score.delay(doc_id))  # CEL001: 27


async def again(doc_id):
    await show({"x": doc_id})
    return await wait_done(score.delay(doc_id), interval=1)  # CEL001: 27
