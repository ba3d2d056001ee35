import asyncio

from proj.tasks import send_email


def notify(user):
    send_email.delay(user)


def notify_twice(user):
    notify(user)
    notify(user)


def pure(user):
    return user


def generator(users):
    for user in users:
        send_email.delay(user)
        yield user


class Service:
    def publish(self, user):
        send_email.apply_async((user,))

    async def handle(self, user):
        self.publish(user)  # CEL007: 8
        await asyncio.to_thread(self.publish, user)


async def view(user):
    notify(user)  # CEL007: 4
    notify_twice(user)  # CEL007: 4
    pure(user)
    generator([user])
    await asyncio.to_thread(notify, user)
    await asyncio.get_running_loop().run_in_executor(None, notify_twice, user)
    return defined_later(user)  # CEL007: 11


async def shadowed(notify):
    notify(1)


def defined_later(user):
    return send_email.delay(user).id
