"""Where code runs on the event loop, case by case."""

from __future__ import annotations

import textwrap

import pytest

from flake8_celery_async.analysis.analyzer import UNFIXABLE_GENEXP, analyze_source

HEAD = "from proj.tasks import t\n"


def codes(body: str) -> list[tuple[int, str]]:
    source = HEAD + textwrap.dedent(body)
    return [(f.line - 1, f.code) for f in analyze_source(source)]


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("async def f():\n    t.delay()\n", [(2, "CEL001")]),
        ("def f():\n    t.delay()\n", []),
        ("t.delay()\n", []),
        ("async def f():\n    yield t.delay()\n", [(2, "CEL001")]),  # async generator
        ("async def f():\n    def g():\n        t.delay()\n", []),  # nested sync def resets
        ("async def f():\n    g = lambda: t.delay()\n", []),  # lambda resets
        ("async def f():\n    class C:\n        x = t.delay()\n", []),  # class body resets
        ("def f():\n    async def g():\n        t.delay()\n", [(3, "CEL001")]),
        ("async def f():\n    def g():\n        pass\n    t.delay()\n", [(4, "CEL001")]),
        ("async def f(xs):\n    return [t.delay(x) for x in xs]\n", [(2, "CEL001")]),
        ("async def f(xs):\n    return {t.delay(x) for x in xs}\n", [(2, "CEL001")]),
        ("async def f(xs):\n    return (t.delay(x) for x in xs)\n", [(2, "CEL001")]),
        ("def f(xs):\n    return [t.delay(x) for x in xs]\n", []),
        ("async def f():\n    await t.delay()\n", []),  # awaited: not reported
        ("async def f(q):\n    t.apply_async(queue=await q())\n", [(2, "CEL002")]),
        ("async def f():\n    await asyncio.to_thread(t.delay, 1)\n", []),  # a reference
        ("async def f(x=t.delay()):\n    pass\n", []),  # defaults run where def runs
        ("def deco(f):\n    return f\n@deco\nasync def f():\n    t.delay()\n", [(5, "CEL001")]),
        (
            "async def f():\n    async def g():\n        t.delay()\n    t.delay()\n",
            [(3, "CEL001"), (4, "CEL001")],
        ),
        (
            "async def f():\n    def g():\n        async def h():\n            t.delay()\n",
            [(4, "CEL001")],
        ),
    ],
)
def test_scope(body: str, want: list[tuple[int, str]]) -> None:
    assert codes(body) == want


def test_generator_expression_is_reported_but_not_fixable() -> None:
    source = HEAD + "async def f(xs):\n    return list(t.delay(x) for x in xs)\n"
    (finding,) = analyze_source(source)
    assert finding.fix is None and finding.reason == UNFIXABLE_GENEXP


def test_first_iterable_of_a_generator_expression_runs_in_the_enclosing_scope() -> None:
    source = HEAD + "async def f():\n    return list(x for x in t.delay().children)\n"
    fixes = {(f.code, f.fix) for f in analyze_source(source)}
    assert ("CEL001", "method") in fixes


def test_list_comprehension_in_async_def_stays_fixable() -> None:
    source = HEAD + "async def f(xs):\n    return [t.delay(x) for x in xs]\n"
    (finding,) = analyze_source(source)
    assert finding.fix == "method"


def test_deeply_nested_expression_does_not_crash() -> None:
    deep = " | ".join(["a.s()"] * 900)  # as deep as CPython's own parser accepts here
    source = HEAD + f"async def f(a):\n    x = {deep}\n    x.delay()\n    t.delay({deep})\n"
    # Too deep to classify, x is an unknown receiver: reported as a task, never a crash.
    assert [(f.line, f.code) for f in analyze_source(source)] == [(4, "CEL001"), (5, "CEL001")]
    nested = HEAD + "async def f(a):\n    return " + "t.s(" * 150 + ")" * 150 + ".delay()\n"
    assert [f.code for f in analyze_source(nested)] == ["CEL004"]


@pytest.mark.parametrize(
    ("body", "want"),
    [
        # imports are per scope: an alias inside one def says nothing about later defs
        (
            "def setup():\n    import asyncio as t\n    return t\n"
            "async def view():\n    t.delay(1)\n",
            [(5, "CEL001")],
        ),
        ("async def view():\n    import asyncio as t\n    t.delay(1)\n", []),
        (
            "import asyncio as t\nasync def view():\n    from proj.tasks import t\n"
            "    t.delay(1)\n",
            [(4, "CEL001")],
        ),
        # an exception bound by `except ... as` is no result, whatever the name held before
        (
            "async def view():\n    res = t.delay(1)\n    try:\n        pass\n"
            "    except ValueError as res:\n        return res.args\n",
            [(2, "CEL001")],
        ),
        (
            "async def view():\n    try:\n        pass\n    except ValueError as res:\n"
            "        pass\n    res = t.delay(1)\n    return res.state\n",
            [(6, "CEL001"), (7, "CEL005")],
        ),
        # a lambda's keyword-only default runs when the helper runs
        (
            "def helper():\n    return lambda *, x=t.delay(1): x\n"
            "async def view():\n    helper()\n",
            [(4, "CEL007")],
        ),
        (
            "def helper():\n    return lambda x=t.delay(1): x\nasync def view():\n    helper()\n",
            [(4, "CEL007")],
        ),
        ("def helper():\n    return lambda: t.delay(1)\nasync def view():\n    helper()\n", []),
    ],
)
def test_scope_bugs(body: str, want: list[tuple[int, str]]) -> None:
    assert codes(body) == want
