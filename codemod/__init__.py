"""The fixer: rewrites blocking Celery calls in async code (runtime: celery_async.py)."""
