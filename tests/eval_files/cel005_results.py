from celery.result import AsyncResult, GroupResult

from proj.celery import app
from proj.tasks import add


async def status(task_id):
    result = AsyncResult(task_id)
    if result.ready():  # CEL005: 7
        return {"state": result.state, "value": result.result}  # CEL005: 25, CEL005: 48
    return {"id": result.id}


async def with_app(task_id):
    res = app.AsyncResult(task_id)
    return res.get(timeout=1)  # CEL005: 11


async def from_dispatch(x):
    res = add.delay(x)  # CEL001: 10
    value = res.get()  # CEL005: 12
    add.delay(x).get()  # CEL001: 4, CEL005: 4
    return value


async def half_fixed(x):
    res = await add.delayx(x)
    return res.status  # CEL005: 11


async def group_results(group_id):
    saved = GroupResult.restore(group_id)
    saved.join()  # CEL005: 4
    return saved.completed_count()  # CEL005: 11


async def annotated(res: AsyncResult, maybe: "AsyncResult | None"):
    res.forget()  # CEL005: 4
    return maybe.traceback  # CEL005: 11


async def task_result(task_id):
    return add.AsyncResult(task_id).successful()  # CEL005: 11


async def look_alikes(cache, queue, request, data: dict):
    cache.get("key")
    queue.get()
    request.state
    data.get("state")
    res = {"state": 1}
    return res.get("state")


async def rebound(task_id):
    res = AsyncResult(task_id)
    res = res.get()  # CEL005: 10
    return res.get("key")


async def offloaded(task_id, loop):
    res = AsyncResult(task_id)
    await loop.run_in_executor(None, res.get)
    return res.id


async def collections_of_results(items, group_result: GroupResult):
    results = [add.delay(i) for i in items]  # CEL001: 15
    for res in results:
        res.get()  # CEL005: 8
    values = [r.get() for r in results]  # CEL005: 14
    pair = [add.delay(1), add.delay(2)]  # CEL001: 12, CEL001: 26
    first, *rest = pair
    for child in group_result.results:
        child.ready()  # CEL005: 8
    for item in items:
        item.get()
    return values, first, rest
