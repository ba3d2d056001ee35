"""Fuzzing the checker: generated programs and mutated fixtures never make it raise.

Bounded example counts by default; set CEL_FUZZ_DEEP=1 for a long run.
"""

from __future__ import annotations

import ast
import os
import re
import textwrap
import warnings

import hypothesmith
import pytest
from cel_support import EVAL_FILES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flake8_celery_async.analysis import analyze, analyze_source
from flake8_celery_async.check import check_source
from flake8_celery_async.settings import Settings

# hypothesmith compiles what it generates; its SyntaxWarnings are about the generated code.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
DEEP = os.environ.get("CEL_FUZZ_DEEP") == "1"
FUZZ = settings(
    max_examples=2000 if DEEP else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FIXTURES = [p.read_text() for p in EVAL_FILES]
RECEIVERS = ["t", "self.t", "tasks[k]", "app", "res", "sig", "pool", "row", "(a | b)", "chain(x)"]
METHODS = ["delay", "apply_async", "send_task", "get", "state", "s", "control.revoke", "ready"]


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


def _wrap_async(source: str) -> str:
    return "async def __wrapper():\n" + textwrap.indent(source, "    ") + "\n    pass\n"


def _mutations() -> st.SearchStrategy[str]:
    fixture = st.sampled_from(FIXTURES)
    receiver = st.sampled_from(RECEIVERS)
    method = st.sampled_from(METHODS)
    snippet = st.builds(lambda r, m: f"{r}.{m}(1)", receiver, method)
    contexts = st.sampled_from(
        [
            "async def f():\n    {}\n",
            "async def f():\n    def g():\n        {}\n",
            "async def f():\n    return lambda: {}\n",
            "async def f():\n    return [{} for _ in x]\n",
            "async def f():\n    return list({} for _ in x)\n",
            "async def f():\n    await {}\n",
            "async def f():\n    class C:\n        y = {}\n",
            "def f():\n    async def g():\n        return {{1: {}}}\n",
            "async def f():\n    with Pool() as pool:\n        {}\n",
            "async def f():\n    for r in [t.delay(i) for i in x]:\n        {}\n",
        ]
    )
    placed = st.builds(lambda c, s: c.format(s), contexts, snippet)
    renamed = st.builds(
        lambda src, old, new: re.sub(rf"\b{re.escape(old)}\b", new, src),
        fixture,
        st.sampled_from(["send_email", "add", "app", "res", "result", "self"]),
        st.sampled_from(["x", "pool", "sig", "app", "celery_app"]),
    )
    awaited = st.builds(lambda src: re.sub(r"(\w+)\.delay\(", r"await \1.delay(", src), fixture)
    return st.one_of(placed, renamed, awaited, fixture.map(_wrap_async))


@FUZZ
@given(_mutations())
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
@given(st.binary(max_size=400) | _mutations().map(str.encode))
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
