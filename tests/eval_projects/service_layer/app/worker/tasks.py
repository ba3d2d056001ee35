from app.worker.celery_app import celery_app


@celery_app.task
def index_task(doc_id):
    return doc_id


@celery_app.task
def report_task(user_id):
    return user_id
