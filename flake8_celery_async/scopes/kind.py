"""The kinds of Celery value a name can hold (``kinds`` has Celery's names for them).

Apart from ``kinds`` so that what needs only the values (the project index read back from
the cache, a warm run) does not load ``ast`` and the tables.
"""

from __future__ import annotations

from enum import IntEnum


class Kind(IntEnum):
    RESULT = 1  # AsyncResult, GroupResult, ResultSet: reads go to the result backend
    SIG = 2  # a signature: t.s(), signature(...)
    CANVAS = 3  # chain, group, chord, chunks, a | b: calling one dispatches
    APP = 4  # a Celery app
    CONTROL = 5  # app.control
    INSPECT = 6  # app.control.inspect()
    NOT_CELERY = 7  # known to be something else (a literal, a pool, a list...)
    RESULTS = 8  # a list of results
    TASK = 9  # a task (from the project index)


MaybeKind = Kind | None
