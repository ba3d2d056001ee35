"""``--format sarif``: findings as a SARIF 2.1.0 log, for GitHub code scanning.

One ``reportingDescriptor`` per catalogue rule (its summary, the fix in words, and the
README's section as help), one ``result`` per finding, each located by a URI relative to the
directory the tool ran in (``%SRCROOT%``), as ``github/codeql-action/upload-sarif`` expects.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..rules import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HOME = "https://github.com/flake8-celery-async/flake8-celery-async"


def _plain(markdown: str) -> str:
    return markdown.replace("`", "")


def _rule(index: int) -> dict[str, Any]:
    rule = RULES[index]
    help_text = f"{_plain(rule.summary)}. Fix: {_plain(rule.fix)}."
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _plain(rule.summary)},
        "fullDescription": {"text": help_text},
        "help": {"text": help_text, "markdown": f"{rule.summary}. Fix: {rule.fix}."},
        "helpUri": f"{HOME}#rules",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["asyncio", "celery", "reliability"]},
    }


def _uri(path: str, root: str) -> str:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root)
    if relative.startswith(os.pardir):  # outside the run's directory: an absolute file URI
        return "file://" + absolute.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def log(rows: Sequence[tuple[str, int, int, str, str]], root: str | None = None) -> dict[str, Any]:
    """The SARIF log for ``rows`` of (path, line, 1-based column, code, message)."""
    root = os.path.abspath(root or os.getcwd())
    index = {rule.code: n for n, rule in enumerate(RULES)}
    results = []
    for path, line, col, code, message in rows:
        result: dict[str, Any] = {
            "ruleId": code,
            "level": "error",
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(path, root), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": line, "startColumn": col},
                    }
                }
            ],
        }
        if code in index:
            result["ruleIndex"] = index[code]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flake8-celery-async",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": HOME,
                        "rules": [_rule(n) for n in range(len(RULES))],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + root.rstrip("/") + "/"}},
                "results": results,
            }
        ],
    }
