"""The rule catalogue and its registry: every CEL rule, once, each next to its detection.

A rule module in this folder declares ``RULES`` (catalogue entries: code, short name, the
message template -- code first, then what blocks, then the fix --, how the codemod fixes it,
its trigger words and its examples) and ``HOOKS`` (when the analysis's walk calls its
detection functions, see ``base.Hook``). The registry finds every such module here; from
it come the analysis's dispatch (:data:`HOOKS`), the text check (:func:`may_have_findings`),
the project index's first-round words (:data:`INDEX_WORDS`), the tests generated from the
examples and the README's rule table (:func:`markdown_table`). Adding a rule is one module
here and one eval file.

Message templates are ``str.format`` strings; the analysis fills in ``{what}`` (the blocking
expression, shortened), ``{fix}`` (the replacement, with the configured names) and ``{via}``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable

from ..settings import Settings
from ..syntax.words import Words
from .base import DEFINING_WORDS, Example, Hook, Rule, Trigger

__all__ = [
    "BY_CODE", "HOOKS", "INDEX_LIBRARIES", "INDEX_WORDS", "RULES", "TRIGGERS", "Example", "Rule",
    "Trigger", "markdown_table", "may_have_findings",
]  # fmt: skip


def _modules() -> list[object]:
    """Every rule module of this folder (``base`` holds what they share). Listed with
    ``os`` and imported with ``__import__`` (``pkgutil`` imports ``inspect``, 15 ms of the
    plugin's start; ``importlib`` another millisecond)."""
    names = sorted(n[:-3] for n in os.listdir(__path__[0]) if n.endswith(".py"))
    found: list[object] = []
    for name in names:
        if name not in ("__init__", "base"):
            __import__(f"{__name__}.{name}")
            found.append(sys.modules[f"{__name__}.{name}"])
    return found


_MODULES = _modules()
RULES: tuple[Rule, ...] = tuple(
    sorted((r for m in _MODULES for r in getattr(m, "RULES", ())), key=lambda r: r.code)
)
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


def _follow_helpers() -> None:
    """A rule that follows helpers fires on every I/O rule's words too."""
    io_words = {t.word: t for r in RULES if r.io for t in r.triggers}
    for rule in RULES:
        if rule.via_helpers:
            own = {t.word for t in rule.triggers}
            rule.triggers += tuple(t for w, t in io_words.items() if w not in own)


_follow_helpers()
HOOKS: dict[str, tuple[Callable[..., object], ...]] = {
    event: tuple(
        h.function
        for h in sorted(
            (h for m in _MODULES for h in getattr(m, "HOOKS", ()) if h.event == event),
            key=lambda h: h.order,
        )
    )
    for event in Hook.EVENTS
}
"""The detection functions the walk calls, by event (see ``base.Hook``)."""


def _triggers() -> dict[str, tuple[str, ...]]:
    words: dict[str, tuple[str, ...]] = {}
    for rule in RULES:
        for trigger in rule.triggers:
            known = words.get(trigger.word)
            if known is None:
                words[trigger.word] = trigger.confirm
            elif known and trigger.confirm:  # either rule's confirming words will do
                words[trigger.word] = tuple(dict.fromkeys(known + trigger.confirm))
            else:  # one rule needs no confirmation: neither may the text check
                words[trigger.word] = ()
    return words


TRIGGERS: dict[str, tuple[str, ...]] = _triggers()
"""Every rule's trigger words (with their confirming words): the text check's list."""

UNLESS: dict[bytes, tuple[bytes, ...]] = {
    word.encode(): tuple(w.encode() for w in t.unless)
    for rule in RULES for t in rule.triggers if t.unless for word in t.confirm
    if any(word in longer for longer in t.unless)
}  # fmt: skip
"""A confirming word -> the longer words holding it that do not confirm (``Trigger.unless``)."""

INDEX_WORDS: tuple[bytes, ...] = tuple(
    dict.fromkeys(
        word.encode()
        for rule in RULES
        for t in rule.triggers
        if t.index and not t.imported
        for word in (t.confirm or (t.word,))
    )
) + tuple(w.encode() for w in DEFINING_WORDS)
"""The project index's first round reads the modules with one of these words: those that
may define what a rule follows across modules (see ``base.Trigger``)."""

INDEX_LIBRARIES: tuple[str, ...] = tuple(
    dict.fromkeys(
        t.word
        for rule in RULES
        for t in rule.triggers
        if t.index and t.imported and t.word.encode() not in INDEX_WORDS
    )
)
"""Libraries whose name counts for that first round only in a module that imports them (or
a project module holding the library's app)."""

# Code runs on the loop in an ``async def`` or a Tornado handler's sync method.
_ASYNC_DEF = re.compile(rb"async\s+def")
_Triggers = tuple[tuple[tuple[bytes, tuple[bytes, ...]], ...], Words]
_TRIGGERS: dict[tuple[str, ...], _Triggers] = {}


def _triggers_of(settings: Settings) -> _Triggers:
    """The trigger words with their confirming words (and the user's extra dispatch names),
    as bytes, and all of them to find in one pass."""
    key = settings.extra_dispatch
    found = _TRIGGERS.get(key)
    if found is None:
        words = (*TRIGGERS.items(), *((name, ()) for name in key))
        triggers = tuple((t.encode(), tuple(r.encode() for r in rs)) for t, rs in words)
        every = Words(word for t, rs in triggers for word in (t, *rs))
        found = _TRIGGERS[key] = (triggers, every)
    return found


def _discount(source: bytes, said: set[bytes]) -> None:
    """Take from ``said`` the confirming words that the text holds only inside longer words
    that do not confirm (``UNLESS``): counted, each longer word holding the word once."""
    for word, longer in UNLESS.items():
        if word in said and source.count(word) <= sum(source.count(w) for w in longer):
            said.discard(word)


def may_have_findings(source: bytes | str, settings: Settings) -> bool:
    """The cheap text check: can this source contain any finding on its own?

    Every rule needs code that runs on the loop (an ``async def`` or a Tornado handler)
    and one of the catalogue's trigger words (or the user's extra dispatch names), so a file
    without them is never parsed. False positives only cost a parse. (The project index adds
    the names it knows, see ``project.index.Index.may_matter``.)
    """
    if isinstance(source, str):
        source = source.encode("utf-8", "surrogateescape")
    if not (
        (b"async" in source and _ASYNC_DEF.search(source) is not None)
        or b"RequestHandler" in source
    ):
        return False
    triggers, every = _triggers_of(settings)
    said = every.found(source)
    if not said.isdisjoint(UNLESS):
        _discount(source, said)
    return any(t in said and (not rs or not said.isdisjoint(rs)) for t, rs in triggers)


def markdown_table() -> str:
    """The README's rule table, generated from the catalogue."""
    rows = ["| code | what it reports | codemod fix |", "|---|---|---|"]
    rows += [f"| `{r.code}` | {_cell(r.summary)} | {_cell(r.fix)} |" for r in RULES]
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    """A table cell: GitHub splits cells at every ``|``, even inside backticks."""
    return text.replace("|", "\\|")
