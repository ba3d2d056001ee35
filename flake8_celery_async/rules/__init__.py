"""The rule catalogue: every CEL rule, once, each next to its detection.

Each rule holds its code, a short name, the message template (code first, then what blocks,
then the fix), how the codemod fixes it, its trigger words (the text check is built from them)
and its examples. The tests are generated from the examples and the README's rule table is
checked against :func:`markdown_table`. Adding a rule is one entry in a family module, one
detection function beside it, and its examples.

Message templates are ``str.format`` strings; the analysis fills in ``{what}`` (the blocking
expression, shortened), ``{fix}`` (the replacement, with the configured names) and ``{via}``.
"""

from __future__ import annotations

from . import dispatch, helpers, results, tasks
from .base import Example, Rule, Trigger

__all__ = ["BY_CODE", "RULES", "TRIGGERS", "Example", "Rule", "Trigger", "markdown_table"]

RULES: tuple[Rule, ...] = (*dispatch.RULES, *results.RULES, *helpers.RULES, *tasks.RULES)
BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


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


def markdown_table() -> str:
    """The README's rule table, generated from the catalogue."""
    rows = ["| code | what it reports | codemod fix |", "|---|---|---|"]
    rows += [f"| `{r.code}` | {_cell(r.summary)} | {_cell(r.fix)} |" for r in RULES]
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    """A table cell: GitHub splits cells at every ``|``, even inside backticks."""
    return text.replace("|", "\\|")
