"""flake8-celery-async: report synchronous Celery calls that block the asyncio event loop."""

__version__ = "0.1.0"
