"""Layer 2: scopes and what names are (frames, Celery kinds, bindings)."""
