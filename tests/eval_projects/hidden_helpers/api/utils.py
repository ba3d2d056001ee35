"""Imported as ``utils`` by the API, which runs from this folder; the Celery app comes from
the ``worker`` package at the repository root."""

from worker.celery_app import app, score


def kick(name):
    app.send_task(name)


def rescore(doc_id):
    return score.delay(doc_id)


def plain(doc_id):
    return doc_id
