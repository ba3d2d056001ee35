"""What a catalogue entry is: one rule, its examples, its trigger words, and the hooks by
which the analysis's walk calls a rule module's detection."""

from __future__ import annotations

from collections.abc import Callable


class Example:
    """A source snippet; ``fixed`` is what the codemod must turn it into (``None``: untouched)."""

    __slots__ = ("fixed", "source")

    def __init__(self, source: str, fixed: str | None = None) -> None:
        self.source, self.fixed = source, fixed


class Trigger:
    """A word a file must contain for a rule to fire; when ``confirm`` is set, one of those
    longer words must be there too (a coarse hit that is only a prefix of what matters).

    ``index``: does a module with this word possibly *define* what the rule follows across
    modules (a task, an app, a result, a helper doing the I/O)? The project index's first
    round reads those modules. The canvas words (``.s(``, ``signature``) are everywhere in
    ordinary code and a canvas is built from a task anyway: they say no.

    ``imported``: the word is a library's name, and counts for that first round only in a
    module that imports the library (or a project module holding its app): ``celery`` is
    also in a project's package names (``app.celery.tasks``) and columns (``celery_task_id``).

    ``unless``: longer words that hold a confirming word once and do not confirm it
    (``inspect.signature(`` holds ``.signature(``): the text check discounts them."""

    __slots__ = ("confirm", "imported", "index", "unless", "word")

    def __init__(
        self,
        word: str,
        *confirm: str,
        index: bool = True,
        imported: bool = False,
        unless: tuple[str, ...] = (),
    ) -> None:
        self.word, self.confirm, self.index, self.imported = word, confirm, index, imported
        self.unless = unless


class Rule:
    """One rule. A plain class, as the checker's others (see ``findings.Finding``).

    ``triggers``: the text check keeps a file when it has code that runs on the loop and one
    of these words (the CEL007 family adds the project index's names, see ``project``).
    ``io``: a finding of this rule is Celery I/O itself (a helper that reaches one blocks);
    ``via_helpers``: the rule follows calls into helpers that reach such I/O, so every I/O
    rule's trigger words are its own too (the registry adds them).
    """

    __slots__ = (
        "code", "fix", "invalid", "io", "message", "name", "summary", "triggers", "valid",
        "via_helpers",
    )  # fmt: skip

    def __init__(
        self,
        *,
        code: str,
        name: str,
        summary: str,
        message: str,
        fix: str,
        triggers: tuple[Trigger, ...],
        valid: tuple[str, ...],
        invalid: tuple[Example, ...],
        io: bool = True,
        via_helpers: bool = False,
    ) -> None:
        self.code, self.name, self.summary, self.message = code, name, summary, message
        self.fix = fix
        """How the codemod fixes it, in words (the README's table shows this)."""
        self.triggers = triggers
        self.valid, self.invalid = valid, invalid
        self.io, self.via_helpers = io, via_helpers


class Hook:
    """When the analysis's walk calls a detection function of a rule module (listed in the
    module's ``HOOKS``): ``call`` with (walker, call, frame) for every call on the loop or in
    a sync function being scanned, by ``order``, until one returns True (it claimed the
    call); ``attribute`` with (walker, attribute, frame) for an attribute that is read, not
    called; ``async_def`` with (walker, node) for every async def once the walk is done;
    ``end`` with (walker) once, after those."""

    __slots__ = ("event", "function", "order")

    EVENTS = ("call", "attribute", "async_def", "end")

    def __init__(self, event: str, function: Callable[..., object], order: int = 50) -> None:
        assert event in self.EVENTS, event
        self.event, self.function, self.order = event, function, order


APP = "from celery import Celery\napp = Celery('proj')\n"
TASK = "from proj.tasks import send_email\n"
# What the codemod makes of APP when it adds the runtime import (isort's place for it, in
# the third-party block, with no blank line added).
APP_RUNTIME = (
    "from celery import Celery\nfrom celery_asyncx import run_blocking\napp = Celery('proj')\n"
)
# Every dispatch and result rule can fire on a receiver built from these.
# ``.delay`` counts when it is called (``.delay(``): ``self.delay = delay``, a pool's
# ``.delay`` setting and a task passed to a thread (``to_thread(t.delay, x)``) are no finding,
# and the standard library says ``.delay`` in a dozen modules that never call it.
DELAY = Trigger(".delay", ".delay(")
DISPATCH_WORDS = (DELAY, Trigger("apply_async"), Trigger("send_task"))
# What is imported from Celery itself (canvas functions, results, the app): the library's
# name where an import or an attribute says it, not in a project's ``celery_tasks`` module,
# ``celery_app`` name or ``rebuild_celery.delay`` mock target (most Celery services say
# those in hundreds of files).
NAME_STARTS = (".", " ", "(", "=", "[", ",", "\t", "\n")
"""What comes before a name that is not the tail of a longer one (``_tuple_signature``)."""
LIBRARY_WORD = Trigger(
    "celery",
    "celery import",
    "import celery",
    *(f"{before}celery." for before in (*NAME_STARTS, '"', "'")),
    imported=True,
)
# Signatures and canvases are built with these: a bare call of one dispatches.
# ``signature(`` (a call), not the word: docstrings say "signature" far more than code calls
# it; and the call of ``signature`` or ``x.signature``, not of ``verify_signature`` nor of
# ``inspect.signature`` (the standard library, FastAPI and Starlette call it in dozens of
# modules with an async def).
SIGNATURE = Trigger(
    "signature(",
    *(f"{b}signature(" for b in NAME_STARTS),
    index=False,
    unless=("inspect.signature(",),
)
CANVAS_WORDS = (*(Trigger(w, index=False) for w in (".s(", ".si(", ".chunks(")), SIGNATURE)
RESULT_WORD = Trigger("Result", "AsyncResult", "GroupResult", "ResultSet")
DEFINING_WORDS = ("Celery(", "tornado")
"""What a module says that defines an app (``Celery(...)``, ``make_app = MyCelery(...)``) or
a Tornado handler (its module imports ``tornado``; a subclass in another module is reached
through its import of the base): no rule fires on these words, but a module holding one may
define what another module's rule follows, so the project index reads it. ``Celery`` alone
is mostly prose ("the Celery worker ..."): on a real service 63 of 127 round-one files said
nothing else; ``RequestHandler`` is also the standard library's (``http.server``,
``socketserver``). A module that subclasses or annotates with ``Celery`` imports ``celery``
(the library word)."""
