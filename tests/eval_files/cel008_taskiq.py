# TaskIQ's tasks are native async: never CEL008.
from taskiq_redis import ListQueueBroker

broker = ListQueueBroker("redis://localhost")


@broker.task
async def add(a, b):
    return a + b
