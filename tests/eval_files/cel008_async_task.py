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
