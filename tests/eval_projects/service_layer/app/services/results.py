from celery.result import AsyncResult, GroupResult


async def fetch_group(group_id):
    return GroupResult.restore(group_id)


async def fetch_result(task_id):
    return AsyncResult(task_id)


async def fetch_label(task_id):
    return {"id": task_id}
