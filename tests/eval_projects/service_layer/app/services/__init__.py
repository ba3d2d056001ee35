# Re-exports: callers import the service layer's helpers from the package.
from .dispatcher import enqueue_index as enqueue
from .dispatcher import enqueue_report

__all__ = ["enqueue", "enqueue_report"]
