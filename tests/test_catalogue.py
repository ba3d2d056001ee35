"""Tests generated from the rule catalogue, and the README's table checked against it."""

from __future__ import annotations

import re

import pytest
from cel_support import ROOT

from flake8_celery_async.analysis.analyzer import analyze_source
from flake8_celery_async.rules import RULES, markdown_table, may_have_findings

VALID = [(r.code, i, src) for r in RULES for i, src in enumerate(r.valid)]
INVALID = [(r.code, i, ex.source) for r in RULES for i, ex in enumerate(r.invalid)]


@pytest.mark.parametrize(("code", "index", "source"), VALID, ids=lambda v: str(v)[:12])
def test_valid_example_is_not_reported(code: str, index: int, source: str) -> None:
    assert [f for f in analyze_source(source) if f.code == code] == []


@pytest.mark.parametrize(("code", "index", "source"), INVALID, ids=lambda v: str(v)[:12])
def test_invalid_example_reports_its_code_only(code: str, index: int, source: str) -> None:
    findings = analyze_source(source)
    assert findings, "the example must be reported"
    assert {f.code for f in findings} == {code}


def test_every_rule_has_examples_and_a_well_formed_message() -> None:
    codes = [r.code for r in RULES]
    assert codes == sorted(set(codes))
    for rule in RULES:
        assert re.fullmatch(r"CEL\d{3}", rule.code)
        assert rule.valid and rule.invalid
        assert rule.message.startswith(rule.code + " ")
        assert "async def" in rule.message


def test_messages_name_the_fix() -> None:
    for rule in RULES:
        for example in rule.invalid:
            for finding in analyze_source(example.source):
                assert finding.message.startswith(f"{finding.code} ")
                assert "async def" in finding.message
                assert "{" not in finding.message, "every placeholder is filled"


def test_fixability_matches_the_catalogue() -> None:
    """An example with a fixed form must be fixable; one without must list a reason."""
    for rule in RULES:
        for example in rule.invalid:
            for finding in analyze_source(example.source):
                if example.fixed is None:
                    assert finding.fix is None and finding.reason, finding
                else:
                    assert finding.fix in ("method", "helper", "read"), finding


def test_readme_rule_table_matches_catalogue() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- rules-table:start -->\n(.*?)<!-- rules-table:end -->", readme, re.S)
    assert block, "README.md must hold the rule table between the rules-table markers"
    assert block.group(1) == markdown_table()


def _sources() -> list[tuple[str, str]]:
    from cel_support import EVAL_FILES

    found = [(f"{r.code} example {i}", ex.source) for r in RULES for i, ex in enumerate(r.invalid)]
    found += [(f"{r.code} valid {i}", src) for r in RULES for i, src in enumerate(r.valid)]
    return found + [(p.name, p.read_text()) for p in EVAL_FILES]


@pytest.mark.parametrize(("name", "source"), _sources(), ids=[n for n, _ in _sources()])
def test_text_check_keeps_everything_the_analysis_reports(name: str, source: str) -> None:
    """The text check is built from the catalogue's trigger words: it never drops a file the
    analysis would report on, for each rule on its own words."""
    from flake8_celery_async.rules import BY_CODE
    from flake8_celery_async.settings import Settings

    findings = analyze_source(source)
    if findings:
        assert may_have_findings(source.encode(), Settings())
        assert may_have_findings(source, Settings())
    for finding in findings:
        words = BY_CODE[finding.code].triggers
        assert any(
            t.word in source and (not t.confirm or any(c in source for c in t.confirm))
            for t in words
        ), f"{finding.code} fired without one of its own trigger words"


@pytest.mark.parametrize(
    "source",
    [
        "from proj.tasks import add, mul\nasync def view():\n    (add.s(1) | mul.s(2))()\n",
        "from proj.tasks import add\nasync def view(items):\n    add.chunks(items, 10)()\n",
        "from proj.worker import app\nasync def view():\n"
        "    (app.signature('a') | app.signature('b'))()\n",
    ],
)
def test_canvas_call_alone_passes_the_text_check(source: str) -> None:
    from flake8_celery_async.settings import Settings

    assert [f.code for f in analyze_source(source)] == ["CEL004"]
    assert may_have_findings(source.encode(), Settings())


def test_the_library_name_counts_where_an_import_or_attribute_says_it() -> None:
    """``celery`` in a project's module and variable names (``celery_tasks``, ``celery_app``)
    is no reason to parse a file; ``from celery import group`` is."""
    from flake8_celery_async.settings import Settings

    view = "\nasync def view():\n    return group\n"
    assert not may_have_findings(
        b"from app.tasks.celery_tasks import group" + view.encode(), Settings()
    )
    mock = b"patch('app.worker.rebuild_celery.delay')" + view.encode()  # a mock's target
    assert not may_have_findings(mock, Settings())
    for line in ("from celery import group", "import celery", "from celery.canvas import group"):
        assert may_have_findings((line + view).encode(), Settings()), line


def test_the_word_signature_in_prose_is_no_reason_to_parse() -> None:
    """Docstrings say "signature" far more often than code calls ``signature(...)``, and
    ``verify_signature(...)`` is not ``signature(...)``."""
    from flake8_celery_async.settings import Settings

    prose = 'async def view(tool):\n    """Check the tool\'s signature."""\n    return tool\n'
    assert not may_have_findings(prose.encode(), Settings())
    assert may_have_findings(prose.replace("tool\n", "signature('t')\n").encode(), Settings())
    assert may_have_findings(prose.replace("tool\n", "app.signature('t')\n").encode(), Settings())
    # A call of another function whose name ends so (an HMAC check) is not one either.
    assert not may_have_findings(
        prose.replace("tool\n", "verify_signature(t)\n").encode(), Settings()
    )
