"""What a catalogue entry is: one rule, its examples and its trigger words."""

from __future__ import annotations


class Example:
    """A source snippet; ``fixed`` is what the codemod must turn it into (``None``: untouched)."""

    __slots__ = ("fixed", "source")

    def __init__(self, source: str, fixed: str | None = None) -> None:
        self.source, self.fixed = source, fixed


class Trigger:
    """A word a file must contain for a rule to fire; when ``confirm`` is set, one of those
    longer words must be there too (a coarse hit that is only a prefix of what matters)."""

    __slots__ = ("confirm", "word")

    def __init__(self, word: str, *confirm: str) -> None:
        self.word, self.confirm = word, confirm


class Rule:
    """One rule. A plain class, as the checker's others (see ``findings.Finding``).

    ``triggers``: the text check keeps a file when it has code that runs on the loop and one
    of these words (the CEL007 family adds the project index's names, see ``project``).
    """

    __slots__ = ("code", "fix", "invalid", "message", "name", "summary", "triggers", "valid")

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
    ) -> None:
        self.code, self.name, self.summary, self.message = code, name, summary, message
        self.fix = fix
        """How the codemod fixes it, in words (the README's table shows this)."""
        self.triggers = triggers
        self.valid, self.invalid = valid, invalid


APP = "from celery import Celery\napp = Celery('proj')\n"
TASK = "from proj.tasks import send_email\n"
# What the codemod makes of APP when it adds the runtime import (isort's place for it, in
# the third-party block, with no blank line added).
APP_RUNTIME = "from celery import Celery\nfrom celery_asyncx import run_blocking\napp = Celery('proj')\n"
# Every dispatch and result rule can fire on a receiver built from these.
DISPATCH_WORDS = (Trigger(".delay"), Trigger("apply_async"), Trigger("send_task"))
# Signatures and canvases are built with these: a bare call of one dispatches.
CANVAS_WORDS = (Trigger(".s("), Trigger(".si("), Trigger(".chunks("), Trigger("signature"))
RESULT_WORD = Trigger("Result", "AsyncResult", "GroupResult", "ResultSet")
