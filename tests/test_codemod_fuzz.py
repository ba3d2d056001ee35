"""Property tests: the codemod never crashes, never breaks code, and fixes every fixable finding.

Programs are built from every blocking call the checker knows, nested in every expression and
statement context (receivers, operands, comprehensions, generator expressions, lambdas, nested
defs, f-strings, decorators, defaults...). For each: the output compiles, a second run changes
nothing, and what the checker still reports afterwards is exactly what was listed unfixable,
never "could not locate".
"""

from __future__ import annotations

import textwrap
import warnings
from collections import Counter

import hypothesmith
import pytest
from celery_async_codemod.command import UNLOCATED
from celery_async_codemod.fixer import fix_source
from fuzz_strategies import FUZZ, mutations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.settings import Settings

HEAD = (
    "from celery import chain, group\nfrom celery.result import AsyncResult\n"
    "from proj import app, t, u\nres = AsyncResult('x')\n"
)
CALLS = [
    "t.delay(1)",
    "t.delay()",
    "u.apply_async((1,), {'k': 'é'}, countdown=3)",
    "app.send_task('n', args=[1])",
    "chain(t.s(), u.s()).apply_async()",
    "chain(t.s(), u.s()).delay(2)",
    "group(t.s(i) for i in range(3))()",
    "(t.s() | u.s())()",
    "res.get(timeout=1)",
    "res.ready()",
    "res.state",
    "AsyncResult('y').forget()",
    "app.control.revoke('id', terminate=True)",
    "app.control.inspect().active()",
    "t.delay(\n    1,\n    k=2,\n)",
    "t.delay(1)  # noqa: CEL001\n",
    "res.info",
    "t.delay(1).result",
    "app.control.inspect(timeout=1).ping()",
]

WRAPS = [
    "{}.id",
    "{}[0]",
    "{}()",
    "({})",
    "( {} )",
    "a + {}",
    "{} ** 2",
    "-{}",
    "not {}",
    "{}.get()",
    "{}.children",
    "f'{{{}}}'",
    "[{} for x in xs]",
    "[[{} for x in y] for y in xs]",
    "list({} for x in xs)",
    "{{k: {} for k in xs}}",
    "lambda: {}",
    "await {}",
    "({} if c else None)",
    "({}if c else None)",
    "[{}for x in xs]",
    "{}or c",
    "g({}, k={})",
    "(r := {})",
    "[*{}]",
]

STATEMENTS = [
    "    return {}\n",
    "    x = {}\n",
    "    {}\n",
    "    if {}:\n        pass\n",
    "    for x in {}:\n        pass\n",
    "    with {}:\n        pass\n",
    "    assert {}\n",
    "    def inner():\n        return {}\n",
    "    async def inner():\n        return {}\n",
    "    class C:\n        y = {}\n",
    "    @{}\n    def deco():\n        pass\n",
    "    def dflt(a={}):\n        return a\n",
    "    async with {} as z:\n        pass\n",
    "    async for z in {}:\n        pass\n",
    "    yield {}\n",
    "    try:\n        pass\n    except E:\n        x = {}\n    finally:\n        y = {}\n",
    "    while {}:\n        break\n    else:\n        z = {}\n",
    "    z = lambda q={}: q\n",
    "    return {{'a': {}, **{}}}\n",
]


def _fill(template: str, inner: str) -> str:
    return template.replace("{}", inner).replace("{{", "{").replace("}}", "}")


@st.composite
def expressions(draw: st.DrawFn) -> str:
    expr = draw(st.sampled_from(CALLS))
    for wrap in draw(st.lists(st.sampled_from(WRAPS), max_size=4)):
        if "\n" in expr and "f'" in wrap:
            continue  # a multi-line call cannot sit inside a single-quoted f-string
        expr = _fill(wrap, expr)
    return expr


@st.composite
def programs(draw: st.DrawFn) -> str:
    body = ""
    for _ in range(draw(st.integers(1, 3))):
        statement = draw(st.sampled_from(STATEMENTS))
        expr = draw(expressions())
        if expr.endswith("\n"):  # a trailing comment: it must end the line
            expr = expr.rstrip("\n")
            statement = statement.replace("{}:", "({}\n):") if "{}:" in statement else statement
        body += _fill(statement, expr)
    return HEAD + "async def f(a, c, xs, g):\n" + body


SETTINGS = Settings()


def _compiles(data: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # `[...]()` in generated code: a SyntaxWarning
        try:
            compile(data, "<fuzz>", "exec", dont_inherit=True)
        except SyntaxError:
            return False
    return True


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_codemod_output_compiles_and_leaves_only_unfixable(source: str) -> None:
    data = source.encode()
    outcome = fix_source(data, SETTINGS)
    if outcome.error is not None:  # a generated program the parser rejects: left alone
        assert outcome.new_data is None
        return
    assert outcome.internal_error is None, outcome.internal_error
    new = outcome.new_data or data
    if _compiles(data):
        assert _compiles(new), new.decode()
    after = check_source(new, SETTINGS)
    assert after.error is None
    assert [f for f in after.findings if f.fix is not None] == []
    assert UNLOCATED not in {u.reason for u in outcome.unfixable}
    assert Counter(u.finding.code for u in outcome.unfixable) == Counter(
        f.code for f in after.findings
    )
    assert fix_source(new, SETTINGS).new_data is None


# -- generated programs (hypothesmith) and mutated eval fixtures -------------------------------


def _codemod_round_trip(data: bytes) -> None:
    outcome = fix_source(data, SETTINGS)
    assert outcome.internal_error is None, outcome.internal_error
    if outcome.error is not None:  # unparsable or undecodable: left alone
        assert outcome.new_data is None
        return
    new = outcome.new_data or data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if _compiles(data):
            assert _compiles(new), new.decode()
    after = check_source(new, SETTINGS)
    assert [f for f in after.findings if f.fix is not None] == []
    assert Counter(u.finding.code for u in outcome.unfixable) == Counter(
        f.code for f in after.findings
    )
    assert fix_source(new, SETTINGS).new_data is None


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@FUZZ
@given(
    hypothesmith.from_grammar().map(
        lambda s: HEAD + "async def _f():\n" + textwrap.indent(s, "    ") + "\n    pass\n"
    )
)
def test_generated_programs_inside_async_def(source: str) -> None:
    _codemod_round_trip(source.encode())


@FUZZ
@given(mutations())
def test_mutated_fixtures(source: str) -> None:
    _codemod_round_trip(source.encode())
