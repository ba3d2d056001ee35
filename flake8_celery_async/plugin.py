"""The flake8 entry point (``flake8_celery_async.plugin:Plugin``): a stable public name for
the plugin in ``frontends.flake8_plugin``. flake8 imports it on every run: keep it small."""

from .frontends.flake8_plugin import Plugin

__all__ = ["Plugin"]
