from celery import Celery

app = Celery("hidden", broker="redis://localhost:6379/0")


@app.task
def send_report(report_id):
    return report_id


@app.task
def resize(image_id, width=640):
    return image_id, width


@app.task
def ingest(doc_id):
    return doc_id


@app.task
def score(doc_id):
    return doc_id
