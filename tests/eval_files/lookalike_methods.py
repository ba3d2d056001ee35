# Methods named like Celery's on objects of a known, non-Celery class (agent registries, bots,
# network clients), and a send_task on an unknown object where nothing in scope is Celery's.
import asyncio


class Registry:
    def __init__(self):
        self.peers = {}

    def send_task(self, agent_id, spec):
        return self.peers[agent_id].submit(spec)


class Bot:
    async def delay(self, seconds, func):
        await asyncio.sleep(seconds)
        return await func()


registry = Registry()


class Peer:
    def __init__(self):
        self.registry = Registry()

    async def forward(self, agent_id, spec):
        self.registry.send_task(agent_id, spec)


async def dispatch(agent_id, spec, net: Registry, client, bot: Bot):
    registry.send_task(agent_id, spec)
    net.send_task(agent_id, spec)
    Registry().send_task(agent_id, spec)
    client.send_task({"agent": agent_id})
    reply = client.send_task({"agent": agent_id})
    await bot.delay(1, dispatch)
    return reply.status
