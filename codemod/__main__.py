"""``python -m celery_async_codemod``: the same as ``celery-async-codemod``."""

import sys

from .cli import main

sys.exit(main())
