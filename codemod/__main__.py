"""``python -m celery_async_codemod``: the same as ``celery-async-codemod``."""

import os
import sys

# ``python -m`` puts the working folder first on sys.path; run from a folder of the project
# being migrated, its modules (an ``api/logging.py``) would shadow the standard library. The
# codemod never imports the code it rewrites (as ``python -m flake8_celery_async``).
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from .cli import main  # after the path is mended

sys.exit(main())
