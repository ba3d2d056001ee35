"""The standalone CLI: walking, excludes, formats, exit codes and bad input."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cel_support import run, tool

from flake8_celery_async.frontends import command_line as cli_module
from flake8_celery_async.pipeline.check import FileResult
from flake8_celery_async.settings import Settings

BAD = "from proj.tasks import t\n\n\nasync def view():\n    t.delay(1)\n"
GOOD = "from proj.tasks import t\n\n\ndef view():\n    t.delay(1)\n"


def cli(*args: str | Path, cwd: Path) -> tuple[int, str, str]:
    result = run(tool("flake8-celery-async"), *args, cwd=cwd)
    return result.returncode, result.stdout, result.stderr


def test_exit_codes_and_default_format(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    assert cli("good.py", cwd=tmp_path) == (0, "", "")
    (tmp_path / "bad.py").write_text(BAD)
    code, out, err = cli(cwd=tmp_path)
    assert code == 1 and err == ""
    assert out.startswith("./bad.py:5:5: CEL001 t.delay() blocks the event loop")
    assert cli("--exit-zero", cwd=tmp_path)[0] == 0


def test_exit_zero_means_what_it_means_in_flake8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Findings and files that cannot be checked (unparsable, a dangling link) exit 0 and are
    still reported; a usage error keeps 2 and an internal error keeps 4."""
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "broken.py").write_text("async def view(:\n    t.delay(1)\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    assert cli(".", cwd=tmp_path)[0] == 3
    code, out, err = cli("--exit-zero", ".", cwd=tmp_path)
    assert code == 0
    assert out.startswith("./bad.py:5:5: CEL001 ")
    assert "./broken.py: error: cannot parse" in err
    assert "./dangling.py: error: dangling symlink" in err
    assert cli("--exit-zero", "--config", "missing.cfg", ".", cwd=tmp_path)[0] == 2
    assert cli("--exit-zero", "--format", "nonsense", ".", cwd=tmp_path)[0] == 2

    def bug(*args: object) -> FileResult:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli_module, "check_source", bug)  # the one way to have a bug on call
    monkeypatch.setenv("CELERY_ASYNC_CACHE_DIR", "off")
    assert cli_module.main(["--exit-zero", str(tmp_path / "bad.py")]) == 4
    assert "internal error: ZeroDivisionError: a bug" in capsys.readouterr().err


def test_walk_skips_vcs_virtualenvs_build_output_and_excludes(tmp_path: Path) -> None:
    for d in (".git", "node_modules", "build", "dist", "__pycache__", "env", "src", "src/gen"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_text(BAD)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "notes.txt").write_text(BAD)
    code, out, _ = cli(".", "--extend-exclude", "gen", cwd=tmp_path)
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines()] == ["./src/m.py"]
    # An explicitly named file is checked whatever its name.
    assert cli("notes.txt", cwd=tmp_path)[0] == 1


def test_json_and_github_formats(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(BAD)
    _, out, _ = cli("--format", "json", "bad.py", cwd=tmp_path)
    (row,) = json.loads(out)
    assert row["path"] == "bad.py" and row["line"] == 5 and row["col"] == 5
    assert row["code"] == "CEL001" and row["message"].startswith("CEL001 ")
    _, out, _ = cli("--format", "github", "bad.py", cwd=tmp_path)
    assert out.startswith("::error file=bad.py,line=5,col=5,title=CEL001 delay-on-event-loop::")
    assert "\n" not in out.rstrip("\n")


def test_select_and_ignore(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(BAD)
    assert cli("--ignore", "CEL001", "bad.py", cwd=tmp_path)[0] == 0
    assert cli("--select", "CEL002", "bad.py", cwd=tmp_path)[0] == 0
    assert cli("--select", "CEL0", "bad.py", cwd=tmp_path)[0] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"async def f(:\n    t.delay()\n", "cannot parse"),
        (b"# -*- coding: latin-1 -*-\nasync def f():\n    t.delay('\xe9')\n", None),
        (b"async def f():\n    t.delay('\xff\xfe')\n", "cannot"),
        (b"async def f():\n    t.delay()\x00\n", "cannot"),
        (b"# coding: klingon\nasync def f():\n    t.delay()\n", "cannot"),
    ],
)
def test_bad_input_is_reported_and_the_run_goes_on(
    tmp_path: Path, content: bytes, message: str | None
) -> None:
    (tmp_path / "a_bad.py").write_bytes(content)
    (tmp_path / "z_real.py").write_text(BAD)
    code, out, err = cli(".", cwd=tmp_path)
    assert "./z_real.py:5:5: CEL001" in out
    if message is None:  # a valid latin-1 file: checked like any other
        assert code == 1 and "./a_bad.py:3:5: CEL001" in out and err == ""
    else:
        assert code == 3
        assert f"./a_bad.py: error: {message}" in err
    assert (tmp_path / "a_bad.py").read_bytes() == content


def test_unreadable_paths(tmp_path: Path) -> None:
    (tmp_path / "x.py").mkdir()  # a directory named like a module: walked, not read
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    outside = tmp_path.parent / f"{tmp_path.name}_outside.py"
    outside.write_text(BAD)
    (tmp_path / "link_out.py").symlink_to(outside)
    code, out, err = cli(".", "missing.py", cwd=tmp_path)
    assert code == 3
    assert "./dangling.py: error: dangling symlink" in err
    assert "missing.py: error: no such file or directory" in err
    assert out == ""  # the link pointing outside the tree is not followed


def test_unreadable_file_is_reported_and_the_run_goes_on(
    as_nobody: Callable[[str], list[str]],
) -> None:
    """Root reads anything, so as root the CLI is run as nobody (setpriv) to be refused."""
    directory = Path(tempfile.mkdtemp())
    try:
        directory.chmod(0o755)
        (directory / "secret.py").write_text(BAD)
        (directory / "secret.py").chmod(0)
        (directory / "z_open.py").write_text(BAD)
        result = run(*as_nobody("flake8-celery-async"), ".", cwd=directory)
        assert result.returncode == 3, result.stderr
        assert "./secret.py: error: cannot read: Permission denied" in result.stderr
        assert "./z_open.py:5:5: CEL001" in result.stdout
    finally:
        shutil.rmtree(directory)


def test_python_dash_m_and_list_rules(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(BAD)
    result = run(sys.executable, "-m", "flake8_celery_async", "bad.py", cwd=tmp_path)
    assert result.returncode == 1 and "CEL001" in result.stdout
    table = run(tool("flake8-celery-async"), "--list-rules").stdout
    assert table.startswith("| code |") and "CEL008" in table


def test_python_dash_m_from_a_folder_whose_modules_share_stdlib_names(tmp_path: Path) -> None:
    # a project folder with its own logging.py, checked with `python -m` from that folder (which
    # puts it first on sys.path); per-file-ignores makes the checker import flake8, which
    # imports logging: the project's module must not shadow the standard library's
    (tmp_path / ".git").mkdir()
    (tmp_path / "setup.cfg").write_text("[flake8]\nper-file-ignores =\n    tests/*: CEL001\n")
    api = tmp_path / "api"
    api.mkdir()
    (api / "logging.py").write_text("raise ImportError('the project logging.py was imported')\n")
    (api / "bad.py").write_text(BAD)
    result = run(sys.executable, "-m", "flake8_celery_async", ".", cwd=api)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.startswith("./bad.py:5:5: CEL001")


def test_many_files_take_the_parallel_path(tmp_path: Path) -> None:
    """Forked children check their share of the files: the same output as one process."""
    kinds = [BAD, GOOD, BAD.replace("(1)", "(1)  # noqa: CEL001"), "async def f(:\n t.delay()\n"]
    kinds.append("x = 1\n")
    count = cli_module.PARALLEL_THRESHOLD + 44
    for i in range(count):
        (tmp_path / f"m{i:03}.py").write_text(kinds[i % len(kinds)])
    serial = cli(".", "--jobs", "1", cwd=tmp_path)
    assert serial[0] == 3  # the unparsable files
    assert serial[1].count("CEL001") == len(range(0, count, len(kinds)))
    assert serial[2].count("cannot parse") == len(range(3, count, len(kinds)))
    for jobs in ("2", "3"):
        assert cli(".", "--jobs", jobs, cwd=tmp_path) == serial


def test_a_child_that_dies_has_its_share_checked_by_the_parent(tmp_path: Path) -> None:
    paths = []
    for i in range(cli_module.PARALLEL_THRESHOLD):
        (tmp_path / f"m{i:03}.py").write_text(BAD)
        paths.append(str(tmp_path / f"m{i:03}.py"))
    parent = os.getpid()

    class DiesInChildren(cli_module._Job):
        def __call__(self, path: str) -> FileResult:
            if os.getpid() != parent:
                os._exit(9)  # as if killed
            return super().__call__(path)

    job = DiesInChildren(Settings(), ["CEL"], [])
    results = cli_module.run_checks(paths, job, 3)
    assert sorted(r.path for r in results) == sorted(paths)
    assert all(r.findings and r.findings[0].code == "CEL001" for r in results)


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("bom", b"\xef\xbb\xbf" + BAD.encode(), "5:5"),
        ("crlf", BAD.replace("\n", "\r\n").encode(), "5:5"),
        ("cr", BAD.replace("\n", "\r").encode(), "5:5"),
        ("mixed", b"from proj.tasks import t\r\n\n\rasync def view():\r\n    t.delay(1)\n", "5:5"),
        ("tabs", b"\x0cfrom proj.tasks import t\n\x0c\n\nasync def view():\n\tt.delay(1)\n", "5:2"),
        ("empty", b"", None),
    ],
)
def test_odd_but_valid_files(tmp_path: Path, name: str, content: bytes, where: str | None) -> None:
    (tmp_path / f"{name}.py").write_bytes(content)
    code, out, err = cli(f"{name}.py", cwd=tmp_path)
    assert err == ""
    if where is None:
        assert (code, out) == (0, "")
    else:
        assert code == 1 and out.startswith(f"{name}.py:{where}: CEL001 "), out


def test_syntax_only_newer_pythons_accept_is_a_parse_error_on_older_ones(tmp_path: Path) -> None:
    source = "type Alias = int\n" + BAD
    (tmp_path / "new.py").write_text(source)
    code, out, err = cli("new.py", cwd=tmp_path)
    if sys.version_info >= (3, 12):
        assert code == 1 and "CEL001" in out
    else:
        assert code == 3 and "new.py: error: cannot parse" in err


def test_ten_megabyte_file(tmp_path: Path) -> None:
    filler = "x = 1  # padding padding padding padding padding padding padding\n" * 160_000
    (tmp_path / "big.py").write_text(filler + BAD)
    assert (tmp_path / "big.py").stat().st_size > 10_000_000
    code, out, _ = cli("big.py", cwd=tmp_path)
    assert code == 1 and out.startswith("big.py:160005:5: CEL001")
