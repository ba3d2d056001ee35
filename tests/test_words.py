"""The text checks' word search (``syntax.words``): one pass with ``ahocorasick-rs``, a search
per word without it, the same answers either way; and the ``# noqa`` pre-check."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flake8_celery_async import rules
from flake8_celery_async.rules import may_have_findings
from flake8_celery_async.settings import Settings
from flake8_celery_async.syntax import noqa, words


def identifiers(data: bytes) -> set[bytes]:
    """The plain definition ``Words.named_in`` answers by: every name the text holds."""
    return set(re.findall(rb"[A-Za-z_][A-Za-z0-9_]*", data))


# Words that overlap and nest (".delay" in ".delay(", "Result" in "AsyncResult"), as the
# catalogue's triggers and their confirming words do.
WORDS = (b".delay", b".delay(", b"Result", b"AsyncResult", b"celery", b"celery import", b"a")


@pytest.fixture(params=["automaton", "per word"])
def search(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with the automaton and without it (the library not installed)."""
    if request.param == "per word":
        monkeypatch.setitem(sys.modules, "ahocorasick_rs", None)  # its import now fails
        # The catalogue's word set is made again, without the automaton (and put back after).
        monkeypatch.setattr(rules, "_TRIGGERS", {})
    return str(request.param)


def test_the_automaton_is_used_when_installed(search: str) -> None:
    made = words.Words(WORDS)
    assert (made.search is not None) == (search == "automaton")


@given(st.lists(st.sampled_from([*WORDS, b"(", b" ", b"Async", b"\n", b"x"]), max_size=12))
@example([b".delay", b"("])  # the longer word only whole at the end
@example([b"Async", b"Result"])
def test_found_is_every_word_the_text_holds(parts: list[bytes]) -> None:
    data = b"".join(parts)
    for made in (words.Words(WORDS), _per_word(WORDS)):
        assert made.found(data) == {w for w in WORDS if w in data}


NAMES = (b"upgrade", b"up", b"Mailer", b"send_email", b"e")


@given(
    st.lists(
        st.sampled_from([*NAMES, b"_", b"9", b"x", b".", b" ", b"(", b"\n", b"\xc3\xa9", b"all"]),
        max_size=12,
    )
)
@example([b"9", b"upgrade"])  # a name after digits is a name
@example([b"x", b"9", b"upgrade"])  # not inside one
@example([b"upgrade", b"_", b"all"])
@example([b"send_email", b"(", b"up"])
def test_named_in_is_the_words_among_the_identifiers(parts: list[bytes]) -> None:
    data = b"".join(parts)
    expected = identifiers(data).intersection(NAMES)
    for made in (words.Words(NAMES), _per_word(NAMES)):
        assert made.named_in(data) == expected, data


def _per_word(chosen: tuple[bytes, ...]) -> words.Words:
    made = words.Words(chosen)
    made.search = None
    return made


def test_no_words_finds_nothing(search: str) -> None:
    empty = words.Words(())
    assert empty.found(b"anything") == set() and empty.named_in(b"anything") == set()


def test_a_text_that_names_none_of_the_words_holds_none_as_an_identifier(search: str) -> None:
    """The index's test never rules out a file that holds one of its words as a name."""
    index_words = words.Words((b"send_email", b"Mailer", b"upgrade"))
    for text in (
        b"from x import send_email\n",
        b"def upgrade_all(): pass\n",  # the text says it, no identifier is it
        b"x = Mailerish()\n",
        b"nothing = 1\n",
        b"# send email, upgrade\n",
    ):
        if not index_words.named_in(text):
            assert set(index_words.words).isdisjoint(identifiers(text)), text
    assert not index_words.named_in(b"nothing = 1\n")
    assert not index_words.named_in(b"def upgrade_all(): pass\n")
    assert index_words.named_in(b"x = upgrade()\n") == {b"upgrade"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"async def f():\n    t.delay(1)\n", True),
        (b"async def f():\n    t.delay\n", False),  # ".delay" needs ".delay(" to confirm
        (b"def f():\n    t.delay(1)\n", False),  # nothing runs on the loop
        (b"async def f():\n    r = AsyncResult(i)\n", True),
        (b"async def f():\n    return Result()\n", False),  # no Celery result named
        (b"from celery import shared_task\nasync def f(): pass\n", True),
        (b"# celery\nasync def f(): pass\n", False),  # the name alone, not imported
        # inspect.signature( holds .signature( and confirms nothing (Trigger.unless) ...
        (b"import inspect\nasync def f(g):\n    return inspect.signature(g)\n", False),
        # ... but another .signature( in the same file does, counted.
        (b"async def f(g, t):\n    inspect.signature(g)\n    t.signature((1,))\n", True),
        (b"async def f(g):\n    inspect.signature(g)\n    x = signature('t')\n", True),
    ],
)
def test_the_text_check_reads_the_catalogue_alike(
    search: str, source: bytes, expected: bool
) -> None:
    assert may_have_findings(source, Settings()) is expected
    assert may_have_findings(source.decode(), Settings()) is expected  # the str path


@pytest.mark.parametrize(
    ("text", "codes", "expected"),
    [
        ("x = 1\n", {"CEL001"}, False),
        ("t.delay()  # noqa: E501\n", {"CEL001"}, False),  # other codes only
        ("t.delay()  # noqa\n", {"CEL001"}, True),
        ("t.delay()  # NOQA:CEL001\n", {"CEL001"}, True),
        ("t.delay()  # noqa: CEL\n", {"CEL007"}, True),  # a prefix
        ("t.delay()  # noqa: E501, CEL001\n", {"CEL001"}, True),
        ("f(  # noqa: E501\n  X1)\n", {"CEL001"}, True),  # codes that run on: maybe
        ("# noqa: E501\nx = 1  # noqa\n", {"CEL001"}, True),  # the second one may
    ],
)
def test_noqa_precheck_never_misses_a_comment_that_may_silence(
    text: str, codes: set[str], expected: bool
) -> None:
    assert noqa.may_silence(text, codes) is expected
    if not expected:  # then no logical line silences any of them
        lines = text.splitlines(keepends=True)
        mapped = noqa.logical_line_map(text, lines)
        assert not any(noqa.is_ignored(c, line) for c in codes for line in mapped.values())


_LINES = st.sampled_from(
    ["x = 1", "f(", "  X1)", "t.delay()  # noqa", "y  # noqa: E501", "z  # noqa:CEL001",
     "w  # NOQA: cel, E1", "v  # noqa: CEL", "u  # noqa: E501,", "'''", "s = 2  # noqa: W1 X2"]
)  # fmt: skip


@given(st.lists(_LINES, max_size=8), st.sampled_from(["CEL001", "CEL007", "E501"]))
def test_noqa_precheck_is_never_wrong_to_skip(lines: list[str], code: str) -> None:
    """Whenever the pre-check says no comment may silence ``code``, none does on any line."""
    text = "\n".join(lines) + "\n"
    if noqa.may_silence(text, {code}):
        return
    physical = text.splitlines(keepends=True)
    mapped = noqa.logical_line_map(text, physical)
    for number, line in enumerate(physical, 1):
        assert not noqa.is_ignored(code, mapped.get(number) or line), (number, text)


@pytest.mark.parametrize("project", ["hidden_helpers", "service_layer", "tornado_app"])
def test_without_the_library_a_project_gets_the_same_findings(project: str, tmp_path: Path) -> None:
    """The whole pipeline (text pass, rounds, check) without ``ahocorasick-rs``, as on a
    platform without its wheel: the same findings as with it, cold."""
    from cel_support import run

    root = Path(__file__).parent / "eval_projects" / project
    outputs = []
    for block in ("", "sys.modules['ahocorasick_rs'] = None; "):  # its import then fails
        code = f"import sys; {block}from flake8_celery_async.cli import main; sys.exit(main())"
        env = {"CELERY_ASYNC_CACHE_DIR": str(tmp_path / f"cache{len(outputs)}")}
        done = run(sys.executable, "-c", code, "--isolated", ".", cwd=root, env=env)
        assert done.returncode in (0, 1), done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert " CEL0" in outputs[0]  # the projects have findings: the comparison means something
