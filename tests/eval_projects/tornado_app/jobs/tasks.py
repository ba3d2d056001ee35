from celery import Celery

app = Celery("jobs")


@app.task
def process(job_id):
    return job_id


def enqueue(job_id):
    return process.apply_async((job_id,), queue="jobs")
