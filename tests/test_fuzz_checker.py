"""Fuzzing the checker: generated programs and mutated fixtures never make it raise.

Bounded example counts by default; set CEL_FUZZ_DEEP=1 for a long run.
"""

from __future__ import annotations

import ast
import warnings

import hypothesmith
import pytest
from fuzz_strategies import FUZZ, mutations
from hypothesis import example, given
from hypothesis import strategies as st

from flake8_celery_async.analysis.analyzer import analyze, analyze_source
from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.settings import Settings

# hypothesmith compiles what it generates; its SyntaxWarnings are about the generated code.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")


@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_programs(source: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    analyze(tree)


@FUZZ
@given(mutations())
def test_mutated_fixtures(source: str) -> None:
    try:
        findings = analyze_source(source)
    except (SyntaxError, ValueError):
        return
    for finding in findings:
        assert finding.message.startswith(finding.code + " ")
        assert finding.fix in (None, "method", "helper", "read")
        assert (finding.fix is None) == (finding.reason is not None)


@FUZZ
@given(st.binary(max_size=400) | mutations().map(str.encode))
@example(data=b"#\x80")  # found by this test: parses, then the noqa pass could not decode it
def test_check_source_never_raises_on_bytes(data: bytes) -> None:
    result = check_source(b"async def f():\n    t.delay()\n" + data, Settings())
    assert result.internal_error is None


@pytest.mark.parametrize("depth", [50, 400])
def test_deep_nesting_in_every_position(depth: int) -> None:
    deep_call = "f(" * depth + ")" * depth
    deep_list = "[" * min(depth, 150) + "]" * min(depth, 150)
    source = (
        "async def f():\n"
        f"    x = {deep_call}\n"
        f"    t.delay({deep_list})\n"
        f"    return {' or '.join(['a'] * depth)}\n"
    )
    result = check_source(source.encode(), Settings())
    assert result.internal_error is None
