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


# Helpers reached through the class, a declared attribute and a factory's return annotation.
class Mailer:
    @classmethod
    def queue(cls, user):
        send_email.delay(user)

    @staticmethod
    def render(user):
        return f"Hi {user}"

    async def resend(self, user):
        self.__class__.queue(user)  # CEL007: 8
        type(self).queue(user)  # CEL007: 8
        self.__class__.render(user)
        type(self).render(user)


class Outbox:
    mailer: Mailer
    name: str

    def __init__(self, mailer):
        self.mailer = mailer
        self.name = "outbox"

    async def flush(self, user):
        self.mailer.queue(user)  # CEL007: 8
        self.mailer.render(user)


def make_mailer() -> Mailer:
    return Mailer()


def make_name() -> str:
    return "mailer"


async def factory_user(user):
    mailer = make_mailer()
    mailer.queue(user)  # CEL007: 4
    mailer.render(user)
    label = make_name()
    label.upper()
