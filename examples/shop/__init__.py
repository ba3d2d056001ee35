"""A small FastAPI + Celery shop that shows every CEL rule (see api.py)."""
