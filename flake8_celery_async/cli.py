"""The console script's entry point (``flake8_celery_async.cli:main``): a stable public name
for the standalone checker in ``frontends.command_line``."""

from .frontends.command_line import main

__all__ = ["main"]
