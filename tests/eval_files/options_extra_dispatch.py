# ARGS: --celery-extra-dispatch=delay_on_commit --celery-ignore-receivers=legacy.*
from proj import legacy
from proj.tasks import send_email


async def view():
    send_email.delay_on_commit(1)  # CEL001: 4
    legacy.tasks.send.delay(1)
    send_email.delay(1)  # CEL001: 4
