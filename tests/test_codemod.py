"""The codemod's rewrites: catalogue examples, every context, encodings, idempotence."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

import pytest
from cel_support import EVAL_FILES, eval_args
from celery_async_codemod.command import UNLOCATED, CeleryAsyncCommand, LineIndex
from celery_async_codemod.fixer import fix_source, is_generated
from libcst.codemod import CodemodTest

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.rules import RULES
from flake8_celery_async.settings import Settings

SETTINGS = Settings()
EXAMPLES = [(r.code, i, ex.source, ex.fixed) for r in RULES for i, ex in enumerate(r.invalid)]


def fix(source: str | bytes, settings: Settings = SETTINGS) -> str:
    data = source.encode() if isinstance(source, str) else source
    outcome = fix_source(data, settings)
    assert outcome.error is None and outcome.internal_error is None
    return (outcome.new_data or data).decode()


def settings_for(path: Path) -> Settings:
    values: dict[str, object] = {}
    for arg in eval_args(path):
        flag, _, value = arg.partition("=")
        values[flag.lstrip("-").replace("-", "_")] = value
    return Settings.from_mapping(values)


# -- the catalogue: every invalid example with `fixed` ---------------------------------------------


@pytest.mark.parametrize(("code", "index", "source", "fixed"), EXAMPLES, ids=lambda v: str(v)[:8])
def test_catalogue_example_is_fixed_as_documented(
    code: str, index: int, source: str, fixed: str | None
) -> None:
    assert fix(source) == (fixed if fixed is not None else source)


@pytest.mark.parametrize(("code", "index", "source", "fixed"), EXAMPLES, ids=lambda v: str(v)[:8])
def test_catalogue_fix_is_idempotent_and_leaves_only_unfixable(
    code: str, index: int, source: str, fixed: str | None
) -> None:
    once = fix(source)
    assert fix(once) == once
    assert all(f.fix is None for f in check_source(once.encode(), SETTINGS).findings)


class CatalogueThroughLibcst(CodemodTest):
    """The same examples through the VisitorBasedCodemodCommand, as libcst.tool runs it."""

    TRANSFORM = CeleryAsyncCommand

    def test_examples(self) -> None:
        for code, index, source, fixed in EXAMPLES:
            with self.subTest(code=code, index=index):
                self.assertCodemod(source, fixed if fixed is not None else source)


# -- every rewrite and every context -------------------------------------------------------------

T = "from proj import t\n"


class Rewrites(CodemodTest):
    TRANSFORM = CeleryAsyncCommand

    def check(self, body: str, expected: str, head: str = T, added: str = "") -> None:
        before = head + "async def f(a, c, xs):\n" + body
        if added and head.startswith("from proj "):  # joins the repository's own imports, sorted
            after = added.rstrip("\n") + "\n" + head + "async def f(a, c, xs):\n" + expected
        else:  # after the last (third-party) import, as AddImportsVisitor puts it
            after = head + added + "async def f(a, c, xs):\n" + expected
        self.assertCodemod(before, after)

    def test_methods(self) -> None:
        self.check("    t.delay(a, k=1)\n", "    await t.delayx(a, k=1)\n")
        self.check(
            "    t.apply_async((a,), {'k': 1}, countdown=3)\n",
            "    await t.apply_asyncx((a,), {'k': 1}, countdown=3)\n",
        )
        self.check(
            "    app.send_task('name', args=[1])\n",
            "    await app.send_taskx('name', args=[1])\n",
            head="from proj import app\n",
        )

    def test_receivers_are_parenthesised(self) -> None:
        self.check("    return t.delay(a).id\n", "    return (await t.delayx(a)).id\n")
        self.check("    return t.delay(a)[0]\n", "    return (await t.delayx(a))[0]\n")
        self.check("    return t.delay(a)()\n", "    return (await t.delayx(a))()\n")
        self.check("    return ( t.delay(a) ).id\n", "    return ( await t.delayx(a) ).id\n")
        self.check("    print(*t.delay(1).id)\n", "    print(*(await t.delayx(1)).id)\n")

    def test_operands_need_no_parentheses(self) -> None:
        self.check(
            "    return a + t.delay(), t.delay() ** 2, -t.delay(), not t.delay()\n",
            "    return a + await t.delayx(), await t.delayx() ** 2, -await t.delayx(), "
            "not await t.delayx()\n",
        )
        self.check(
            "    return t.delay(1) if c else t.apply_async()\n",
            "    return await t.delayx(1) if c else await t.apply_asyncx()\n",
        )
        self.check(
            "    if (r := t.delay(1)):\n        return r\n",
            "    if (r := await t.delayx(1)):\n        return r\n",
        )

    def test_keyword_right_after_the_call(self) -> None:
        self.check(
            "    return t.delay()if c else [t.delay()for x in xs], t.delay()in xs\n",
            "    return (await t.delayx())if c else [(await t.delayx())for x in xs], "
            "(await t.delayx())in xs\n",
        )

    def test_result_property_reads(self) -> None:
        added = "from celery_async import read_result\n\n"
        self.check(
            "    return t.delay(1).children\n",
            '    return await read_result(await t.delayx(1), "children")\n',
            added=added,
        )
        head = "from celery.result import AsyncResult\n"
        self.check(
            "    r = AsyncResult(a)\n    return r.state.lower(), (r.info)\n",
            '    r = AsyncResult(a)\n    return (await read_result(r, "state")).lower(), '
            '(await read_result(r, "info"))\n',
            head,
            added,
        )

    def test_awaited_property_read_keeps_valid_syntax(self) -> None:
        self.check(
            "    return await t.delay(1).state\n",
            '    return await (await read_result(await t.delayx(1), "state"))\n',
            added="from celery_async import read_result\n\n",
        )

    def test_comments_inside_the_rewritten_call_are_kept(self) -> None:
        added = "from celery_async import read_result\n\n"
        self.check(
            "    return (t.delay(1)  # noqa: CEL001\n.children)\n",
            '    return (await read_result(t.delay(1)  # noqa: CEL001\n, "children"))\n',
            added=added,
        )
        self.check(
            "    return (t.delay(1).get  # why\n(timeout=1))\n",
            "    return (await run_blocking((await t.delayx(1)).get  # why\n, timeout=1))\n",
            added="from celery_async import run_blocking\n\n",
        )

    def test_decorator_of_a_nested_def(self) -> None:
        self.check(
            "    @t.delay(1)\n    def g():\n        pass\n",
            "    @await t.delayx(1)\n    def g():\n        pass\n",
        )

    def test_nested_findings_are_both_fixed(self) -> None:
        self.check(
            "    return t.delay(a).get(timeout=2)\n",
            "    return await run_blocking((await t.delayx(a)).get, timeout=2)\n",
            added="from celery_async import run_blocking\n\n",
        )

    def test_helper_rewrites(self) -> None:
        head = "from celery import chain, group\nfrom proj import app, t\n"
        added = "from celery_async import run_blocking\n\n"
        self.check(
            "    chain(t.s(), t.s()).apply_async(a, countdown=1)\n",
            "    await run_blocking(chain(t.s(), t.s()).apply_async, a, countdown=1)\n",
            head,
            added,
        )
        self.check(
            "    group(t.s(), t.s())()\n",
            "    await run_blocking(group(t.s(), t.s()))\n",
            head,
            added,
        )
        self.check(
            "    app.control.revoke(a, terminate=True)\n",
            "    await run_blocking(app.control.revoke, a, terminate=True)\n",
            head,
            added,
        )
        self.check(
            "    return (t.s() | t.s())()\n",
            "    return await run_blocking((t.s() | t.s()))\n",
            head,
            added,
        )

    def test_helper_keeps_multiline_arguments(self) -> None:
        self.check(
            "    app.control.revoke(\n        a,\n        terminate=True,\n    )\n",
            "    await run_blocking(\n        app.control.revoke,\n        a,\n"
            "        terminate=True,\n    )\n",
            "from proj import app\n",
            "from celery_async import run_blocking\n\n",
        )

    def test_comprehensions_in_async_def_are_fixed(self) -> None:
        self.check(
            "    return [t.delay(x).id for x in xs]\n",
            "    return [(await t.delayx(x)).id for x in xs]\n",
        )
        self.check(
            "    return [[t.delay(x) for x in y] for y in xs]\n",
            "    return [[await t.delayx(x) for x in y] for y in xs]\n",
        )

    def test_fstring_and_unicode_columns(self) -> None:
        self.check(
            "    s = 'éé'; return f'{t.delay(\"é\").id} é {t.delay(2).id}'\n",
            "    s = 'éé'; return f'{(await t.delayx(\"é\")).id} é {(await t.delayx(2)).id}'\n",
        )

    def test_import_is_added_once_and_merged(self) -> None:
        before = (
            '"""Doc."""\nfrom __future__ import annotations\n'
            "from celery_async import CeleryAsync\nfrom proj import r\n"
            "async def f():\n    r.get()\n    r.forget()\n"
        )
        after = (
            '"""Doc."""\nfrom __future__ import annotations\n'
            "from celery_async import run_blocking, CeleryAsync\nfrom proj import r\n"
            "async def f():\n    await run_blocking(r.get)\n    await run_blocking(r.forget)\n"
        )
        result = "from celery.result import AsyncResult\nr = AsyncResult('x')"
        self.assertCodemod(
            before.replace("from proj import r", result),
            after.replace("from proj import r", result),
        )

    def test_configured_names(self) -> None:
        self.assertCodemod(
            T + "async def f():\n    t.delay(1)\n    t.apply_async()\n",
            T + "async def f():\n    await t.delay_async(1)\n    await t.apply_async_async()\n",
            celery_delay_name="delay_async",
            celery_apply_async_name="apply_async_async",
        )

    def test_runtime_module_option(self) -> None:
        self.assertCodemod(
            "from celery.result import AsyncResult\nasync def f(i):\n    AsyncResult(i).get()\n",
            "from celery.result import AsyncResult\nfrom proj.celery_async import run_blocking\n\n"
            "async def f(i):\n    await run_blocking(AsyncResult(i).get)\n",
            runtime_module="proj.celery_async",
        )


UNFIXABLE = {
    "generator expression": T + "async def f(xs):\n    return list(t.delay(x) for x in xs)\n",
    "noqa": T + "async def f():\n    t.delay(1)  # noqa: CEL001\n",
    "lambda": T + "async def f():\n    return lambda: t.delay(1)\n",
    "sync def": T + "async def f():\n    def g():\n        t.delay(1)\n    return g\n",
    "helper (CEL007)": T + "def g():\n    t.delay(1)\nasync def f():\n    g()\n",
    "async task (CEL008)": (
        "from celery import shared_task\n@shared_task\nasync def f():\n    pass\n"
    ),
    "property assigned": "from celery.result import AsyncResult\nasync def f(i):\n"
    "    AsyncResult(i).state = 'X'\n",
    "helper name taken": "from celery.result import AsyncResult\n"
    "from mylib import run_blocking\nasync def f(i):\n    return AsyncResult(i).get()\n",
}


@pytest.mark.parametrize("source", UNFIXABLE.values(), ids=UNFIXABLE.keys())
def test_unfixable_contexts_are_left_alone(source: str) -> None:
    outcome = fix_source(source.encode(), SETTINGS)
    assert outcome.new_data is None and outcome.error is None
    assert all(u.reason for u in outcome.unfixable)
    reported = check_source(source.encode(), SETTINGS).findings
    assert [u.finding for u in outcome.unfixable] == reported


class UnfixableThroughLibcst(CodemodTest):
    TRANSFORM = CeleryAsyncCommand

    def test_left_alone(self) -> None:
        for name, source in UNFIXABLE.items():
            with self.subTest(name):
                self.assertCodemod(source, source)


def test_unlocatable_finding_is_listed_not_guessed() -> None:
    source = T + "async def f():\n    t.delay(1)\n"
    wrong = Finding(3, 5, 3, 14, "CEL001", "CEL001 ...", "delay", "delayx", "method")
    outcome = fix_source(source.encode(), SETTINGS, findings=[wrong])
    assert outcome.new_data is None
    assert [(u.finding, u.reason) for u in outcome.unfixable] == [(wrong, UNLOCATED)]


def test_line_index_converts_utf8_byte_columns() -> None:
    index = LineIndex("x = 'é€'; y\nz\n")
    assert index.char_col(1, len("x = 'é€'; ".encode())) == len("x = 'é€'; ")
    assert index.char_col(2, 1) == 1


# -- files: encodings, newlines, bad input ---------------------------------------------------------


def test_crlf_is_kept_everywhere() -> None:
    data = T.replace("\n", "\r\n") + "async def f():\r\n    return t.delay(2).get()\r\n"
    out = fix(data.encode())
    assert out == (
        "from celery_async import run_blocking\r\nfrom proj import t\r\n"
        "async def f():\r\n    return await run_blocking((await t.delayx(2)).get)\r\n"
    )


def test_bom_is_kept() -> None:
    data = "\ufeff".encode() + (T + "async def f():\n    t.delay('é')\n").encode()
    out = fix_source(data, SETTINGS).new_data
    assert out == "\ufeff".encode() + (T + "async def f():\n    await t.delayx('é')\n").encode()


def test_latin1_cookie_file_stays_latin1() -> None:
    source = "# -*- coding: latin-1 -*-\n" + T + "async def f():\n    x = 'é'; t.delay('é').id\n"
    out = fix_source(source.encode("latin-1"), SETTINGS).new_data
    assert out == source.replace("t.delay('é').id", "(await t.delayx('é')).id").encode("latin-1")


def test_syntax_error_is_reported_and_untouched() -> None:
    outcome = fix_source(b"async def f(:\n    t.delay()\n", SETTINGS)
    assert outcome.error is not None and "parse" in outcome.error
    assert outcome.new_data is None


def test_file_libcst_cannot_reproduce_is_left_alone() -> None:
    outcome = fix_source(b"from proj import t\rasync def f():\r    t.delay(1)\r", SETTINGS)
    assert outcome.error is not None and "reproduce" in outcome.error
    assert outcome.new_data is None


def test_undecodable_file_is_reported() -> None:
    outcome = fix_source(b"async def f():\n    t.delay('\xff')\n", SETTINGS)
    assert outcome.error is not None and outcome.new_data is None


def test_generated_marker() -> None:
    assert is_generated(b"# @generated by protoc\nx = 1\n")
    assert not is_generated(b"x = 1\n" * 10 + b"# @generated\n")


# -- robustness: every eval file of the checker ----------------------------------------------------


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_eval_file_fix_compiles_and_leaves_exactly_the_unfixable(path: Path) -> None:
    settings = settings_for(path)
    data = path.read_bytes()
    outcome = fix_source(data, settings, path=str(path))
    assert outcome.error is None and outcome.internal_error is None
    new = outcome.new_data or data
    compile(new, str(path), "exec")
    after = check_source(new, settings).findings
    assert Counter(f.code for f in after) == Counter(u.finding.code for u in outcome.unfixable)
    assert all(f.fix is None for f in after)
    assert fix_source(new, settings).new_data is None  # idempotent


# -- the "read" fix kind: result property reads through the runtime's read_result ----------------


def _read_finding(source: str, attr: str) -> Finding:
    """A CEL005 property finding as the checker would report it with ``fix="read"``."""
    [prop] = [f for f in check_source(source.encode(), SETTINGS).findings if f.method == attr]
    return Finding(
        prop.line, prop.col, prop.end_line, prop.end_col, "CEL005", prop.message, attr, fix="read"
    )


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("res.state", 'await read_result(res, "state")'),
        ("res.state.lower()", '(await read_result(res, "state")).lower()'),
        ("(res.state)", '(await read_result(res, "state"))'),
    ],
)
def test_read_fix_kind(expr: str, expected: str) -> None:
    head = "from celery.result import AsyncResult\n"
    source = head + f"async def f(i):\n    res = AsyncResult(i)\n    return {expr}\n"
    outcome = fix_source(source.encode(), SETTINGS, findings=[_read_finding(source, "state")])
    assert outcome.new_data is not None
    assert outcome.new_data.decode() == (
        head + "from celery_async import read_result\n\n"
        f"async def f(i):\n    res = AsyncResult(i)\n    return {expected}\n"
    )


def test_deeper_than_libcsts_default_recursion_is_still_fixed() -> None:
    deep = " | ".join(["a.s()"] * 900)
    source = f"from proj import t\nasync def f(a):\n    x = {deep}\n    t.delay(1)\n"
    outcome = fix_source(source.encode(), SETTINGS)
    assert outcome.internal_error is None
    if sys.version_info[:2] == (3, 12) and outcome.error is not None:
        # 3.12's C recursion limit is fixed (gh-112215; setrecursionlimit cannot raise it):
        # there this nesting is reported as too deep and the file is left alone.
        assert outcome.error.startswith("too deeply nested") and outcome.new_data is None
        return
    assert outcome.error is None
    assert outcome.new_data == source.replace("t.delay(1)", "await t.delayx(1)").encode()


# -- f-strings and one bad rewrite -----------------------------------------------------------------


def test_result_read_in_an_f_string_takes_the_other_quote() -> None:
    head = "from celery.result import AsyncResult\nfrom celery_async import read_result\n\n\n"
    source = (
        head + "async def v(tid):\n    res = AsyncResult(tid)\n"
        '    return f"{res.state}", f\'{res.status}\', f"""{res.result}"""\n'
    )
    out = fix(source)
    assert (
        "    return f\"{await read_result(res, 'state')}\", "
        "f'{await read_result(res, \"status\")}', "
        'f"""{await read_result(res, \'result\')}"""\n'
    ) in out
    # valid before Python 3.12 too: no f-string holds its own quote
    ast.parse(out, feature_version=(3, 10))


def test_f_strings_of_both_quotes_leave_that_read_alone_and_fix_the_rest() -> None:
    source = (
        "from celery.result import AsyncResult\nfrom proj import t\n\n\n"
        "async def v(tid):\n    res = AsyncResult(tid)\n"
        "    t.delay(1)\n"
        "    return f\"{f'{res.state}'}\"\n"
    )
    outcome = fix_source(source.encode(), SETTINGS)
    assert outcome.new_data is not None
    out = outcome.new_data.decode()
    assert "    await t.delayx(1)\n" in out and "{res.state}" in out
    [left] = outcome.unfixable
    assert left.finding.code == "CEL005" and "both quote kinds" in left.reason


def test_a_rewrite_that_would_not_compile_costs_only_itself() -> None:
    """The findings of an async version of the file, applied where one call is in a sync def:
    that one rewrite cannot compile; the other call is still fixed."""
    body = "\n    return t.delay(1)\n\n\nasync def f():\n    t.delay(2)\n"
    findings = check_source((T + "\n\nasync def g():" + body).encode(), SETTINGS).findings
    source = T + "\n\ndef g():" + body  # the calls keep their lines and columns
    outcome = fix_source(source.encode(), SETTINGS, findings=findings)
    assert outcome.internal_error is None and outcome.new_data is not None
    out = outcome.new_data.decode()
    assert "    return t.delay(1)\n" in out and "    await t.delayx(2)\n" in out
    assert [u.finding.line for u in outcome.unfixable] == []  # the checker finds nothing left
