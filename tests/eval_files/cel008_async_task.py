from celery import Celery, shared_task

app = Celery("proj")


@app.task
async def add(a, b):  # CEL008: 0
    return a + b


@app.task(bind=True, max_retries=3)
async def fetch(self, url):  # CEL008: 0
    return url


@shared_task
async def cleanup():  # CEL008: 0
    pass


@app.task
def fine(a):
    return a


@app.get("/")
async def endpoint():
    return {}


def make_celery_app():
    return Celery("factory")


celery_app = make_celery_app()
worker = object()


@celery_app.task
async def from_factory():  # CEL008: 0
    pass


@worker.task
async def not_an_app():
    pass
