"""``python -m flake8_celery_async``."""

import os
import sys

# ``python -m`` puts the working folder first on sys.path. Run from a folder of the project
# being checked, its modules (an ``api/logging.py``, a ``types.py``) would shadow the standard
# library for everything imported from here on (flake8, for per-file-ignores). The checker never
# imports the code it checks, so that folder does not belong on the path.
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from .cli import main  # after the path is mended

raise SystemExit(main())
