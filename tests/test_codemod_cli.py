"""The codemod's command line: modes, exit codes, summary, report, safety and the app factory."""

from __future__ import annotations

import importlib
import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery_async_codemod import factory, runtime
from celery_async_codemod.cli import main
from celery_async_codemod.fixer import FileChanged, write_atomically

VIEW = "from proj.tasks import add\n\n\nasync def view(x):\n    return add.delay(x).id\n"
# proj.tasks is not in the repository: library code, so the form that works on any app.
VIEW_FIXED = (
    "from celery_asyncx import run_blocking\n\nfrom proj.tasks import add\n\n\n"
    "async def view(x):\n    return (await run_blocking(add.delay, x)).id\n"
)
APP = (
    "from celery import Celery\n\napp = Celery('proj', broker='redis://x')\napp.conf.update(a=1)\n"
)
RESULT = (
    "from celery.result import AsyncResult\n\n\n"
    "async def view(tid):\n    return AsyncResult(tid).get()\n"
)


@dataclass
class Result:
    status: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Result:
    status = main(["--isolated", *map(str, args)])
    out, err = capsys.readouterr()
    return Result(status, out, err)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# -- modes and exit codes --------------------------------------------------------------------------


def test_default_writes_and_second_run_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    view = write(tmp_path / "view.py", VIEW)
    r = run(capsys, "--no-factory", view)
    assert r.status == 1
    assert f"Rewriting {view}" in r.err
    assert view.read_text() == VIEW_FIXED
    assert run(capsys, "--no-factory", view).status == 0


def test_exit_zero_even_if_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    view = write(tmp_path / "view.py", VIEW)
    assert run(capsys, "--no-factory", "--exit-zero-even-if-changed", view).status == 0
    assert view.read_text() == VIEW_FIXED


def test_check_writes_nothing_and_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "view.py", VIEW)
    write(tmp_path / "app.py", APP)
    before = snapshot(tmp_path)
    r = run(capsys, "--check", tmp_path)
    assert r.status == 1
    assert f"Would rewrite {tmp_path / 'view.py'}" in r.err
    assert f"Would rewrite {tmp_path / 'app.py'}" not in r.err  # its tasks are not dispatched
    assert runtime.REQUIREMENT in r.err
    assert snapshot(tmp_path) == before


def test_diff_prints_unified_diff_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    view = write(tmp_path / "view.py", VIEW)
    r = run(capsys, "--diff", "--no-factory", view)
    assert r.status == 1
    assert f"--- a/{view}\n+++ b/{view}\n" in r.out
    assert (
        "-    return add.delay(x).id\n+    return (await run_blocking(add.delay, x)).id\n" in r.out
    )
    assert view.read_text() == VIEW


def test_diff_decodes_with_the_files_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "# -*- coding: latin-1 -*-\n" + VIEW.replace("add.delay(x)", "add.delay('é')")
    view = write(tmp_path / "view.py", source.encode("latin-1"))
    r = run(capsys, "--diff", "--no-factory", view)
    assert "+    return (await run_blocking(add.delay, 'é')).id\n" in r.out


def test_nothing_to_do_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "plain.py", "x = 1\n")
    r = run(capsys, tmp_path)
    assert r.status == 0
    assert "1 files scanned, 1 skipped by the text check, 0 rewritten" in r.err


def test_bad_option_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--celery-delay-name=1x", tmp_path).status == 2
    assert run(capsys, "--vendor", "--no-factory", tmp_path).status == 2
    assert run(capsys, "--jobs=0", tmp_path).status == 2


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit status: 0 nothing to change and no finding left; 1 files changed" in out
    for flag in ("--check", "--diff", "--jobs", "--exclude", "--no-factory", "--vendor"):
        assert flag in out
    assert "--celery-delay-name" in out


# -- summary and report ----------------------------------------------------------------------------


def test_summary_and_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    view = write(
        src / "view.py",
        VIEW + "\n\nasync def many():\n    return list(add.delay(i) for i in [1])\n",
    )
    write(src / "result.py", RESULT)
    write(src / "plain.py", "x = 1\n")
    report = tmp_path / "report.json"
    r = run(capsys, "--no-factory", "--report", report, src)
    assert r.status == 1
    assert "3 files scanned, 1 skipped by the text check, 2 rewritten" in r.err
    assert "calls fixed: CEL001 1, CEL005 1" in r.err
    assert "inside a generator expression" in r.err
    assert f"    {view}:11 CEL001" in r.err  # as the file reads now: the import added 2 lines
    data = json.loads(report.read_text())
    assert data["mode"] == "write"
    assert data["files_scanned"] == 3
    assert data["skipped_by_text_check"] == 1
    assert sorted(data["rewritten"]) == sorted([str(view), str(src / "result.py")])
    assert data["fixed"] == {"CEL001": 1, "CEL005": 1}
    [unfixable] = data["unfixable"]
    assert unfixable["path"] == str(view) and unfixable["line"] == 11
    assert unfixable["code"] == "CEL001" and "generator" in unfixable["reason"]
    assert data["exit_status"] == 1


# -- safety ----------------------------------------------------------------------------------------


def test_unparsable_file_is_reported_untouched_and_others_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "bad.py", b"async def f(:\n    t.delay()\r\n\xff")
    view = write(tmp_path / "view.py", VIEW)
    r = run(capsys, "--no-factory", tmp_path)
    assert r.status == 3
    assert f"{bad}: error: " in r.err
    assert bad.read_bytes() == b"async def f(:\n    t.delay()\r\n\xff"
    assert view.read_text() == VIEW_FIXED


def test_read_only_file_is_reported_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    view = write(tmp_path / "view.py", VIEW)
    view.chmod(0o444)
    r = run(capsys, "--no-factory", view)
    assert r.status == 3
    assert f"{view}: error: read-only: not written" in r.err
    assert view.read_text() == VIEW
    assert "0 rewritten" in r.err


def test_mode_and_symlink_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    view = write(tmp_path / "view.py", VIEW)
    view.chmod(0o751)
    link = tmp_path / "link.py"
    link.symlink_to(view)
    assert run(capsys, "--no-factory", link).status == 1
    assert link.is_symlink() and view.read_text() == VIEW_FIXED
    assert stat.S_IMODE(view.stat().st_mode) == 0o751
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_written_files_keep_newlines_bom_and_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crlf = write(tmp_path / "crlf.py", VIEW.replace("\n", "\r\n").encode())
    bom = write(tmp_path / "bom.py", b"\xef\xbb\xbf" + VIEW.encode())
    latin = "# -*- coding: latin-1 -*-\n" + VIEW.replace("delay(x)", "delay('é')")
    latin1 = write(tmp_path / "latin1.py", latin.encode("latin-1"))
    assert run(capsys, "--no-factory", tmp_path).status == 1
    assert crlf.read_bytes() == VIEW_FIXED.replace("\n", "\r\n").encode()
    assert bom.read_bytes() == b"\xef\xbb\xbf" + VIEW_FIXED.encode()
    fixed = latin.replace("add.delay('é').id", "(await run_blocking(add.delay, 'é')).id")
    fixed = fixed.replace("from proj", "from celery_asyncx import run_blocking\n\nfrom proj")
    assert latin1.read_bytes() == fixed.encode("latin-1")


def test_write_refuses_a_file_changed_since_read(tmp_path: Path) -> None:
    path = write(tmp_path / "x.py", "new\n")
    with pytest.raises(FileChanged):
        write_atomically(str(path), b"old\n", b"fixed\n")
    assert path.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.py"]


def test_walk_skips_gitignored_venv_and_generated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / ".gitignore", "ignored/\n")
    write(tmp_path / "ignored" / "view.py", VIEW)
    write(tmp_path / "env" / "pyvenv.cfg", "")
    write(tmp_path / "env" / "view.py", VIEW)
    write(tmp_path / "gen.py", "# @generated by a tool\n" + VIEW)
    write(tmp_path / "skipme" / "view.py", VIEW)
    write(tmp_path / "view.py", VIEW)
    r = run(capsys, "--no-factory", "--exclude", "skipme", tmp_path)
    assert r.status == 1
    assert (tmp_path / "view.py").read_text() == VIEW_FIXED
    for untouched in ("ignored/view.py", "env/view.py", "skipme/view.py"):
        assert (tmp_path / untouched).read_text() == VIEW
    assert (tmp_path / "gen.py").read_text().endswith(VIEW)
    assert "skipped (@generated): 1" in r.err


def test_process_pool_gives_the_same_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(60):
        write(tmp_path / "a" / f"v{i}.py", VIEW)
        write(tmp_path / "b" / f"v{i}.py", VIEW)
    assert run(capsys, "--no-factory", "-j", "1", tmp_path / "a").status == 1
    assert run(capsys, "--no-factory", "-j", "2", tmp_path / "b").status == 1
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert a == b and set(a.values()) == {VIEW_FIXED.encode()}


# -- the app factory -------------------------------------------------------------------------------


def project(root: Path) -> Path:
    write(root / "proj" / "__init__.py", "")
    write(root / "proj" / "app.py", APP)
    write(
        root / "proj" / "tasks.py",
        "import celery\nfrom celery import Task as BaseTask, shared_task\n\n"
        "from proj.app import app\n\n\nclass Plain(BaseTask):\n    pass\n\n\n"
        "class Dotted(celery.Task):\n    pass\n\n\n"
        "@app.task(base=Plain)\ndef add(a, b):\n    return a + b\n\n\n"
        "@shared_task\ndef mul(a, b):\n    return a * b\n",
    )
    write(root / "proj" / "web" / "__init__.py", "")
    write(root / "proj" / "web" / "views.py", VIEWS)
    return root / "proj"


VIEWS = (
    "from celery.result import AsyncResult\n\nfrom proj.tasks import add, mul\n\n\n"
    "async def view(tid):\n    add.delay(1, 2)\n    mul.delay(2, 3)\n"
    "    return AsyncResult(tid).get()\n"
)


def test_library_is_imported_and_the_app_wired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = project(tmp_path)
    r = run(capsys, tmp_path)
    assert r.status == 1
    assert (proj / "app.py").read_text() == (
        "from celery_asyncx import CeleryAsync\n\n"
        "app = CeleryAsync('proj', broker='redis://x')\napp.conf.update(a=1)\n"
    )
    tasks = (proj / "tasks.py").read_text()
    assert "class Plain(AsyncTask):" in tasks and "class Dotted(AsyncTask):" in tasks
    assert "from celery_asyncx import AsyncTask" in tasks
    assert "BaseTask" not in tasks and "import celery\n" not in tasks
    assert "from celery import shared_task" in tasks
    views = (proj / "web" / "views.py").read_text()
    assert (
        "from celery.result import AsyncResult\nfrom celery_asyncx import run_blocking\n" in views
    )
    assert "await add.delayx(1, 2)" in views and "await mul.delayx(2, 3)" in views
    assert not list(tmp_path.rglob("celery_async*.py")) and not (proj / "celery_asyncx").exists()
    assert f"left to do:\n  - add this line to your dependencies and install it: {REQ}" in r.err
    assert (
        "result waits without a timeout" in r.err
        and f"{proj / 'web' / 'views.py'}:10 AsyncResult(tid).get()" in r.err
    )
    assert run(capsys, tmp_path).status == 0  # a second run: nothing to do


REQ = runtime.REQUIREMENT


def todo_requirement(report: Path) -> str:
    return str(json.loads(report.read_text())["todo"]["requirement"])


def test_vendor_writes_the_runtime_package_beside_the_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = project(tmp_path)
    r = run(capsys, "--vendor", tmp_path)
    assert r.status == 1
    vendored = proj / "celery_asyncx"
    assert {p.name for p in vendored.iterdir()} >= {"__init__.py", "app.py", "blocking.py"}
    init = (vendored / "__init__.py").read_bytes()
    assert init == runtime.vendored_files()["__init__.py"] and runtime.is_vendored(init)
    assert "from proj.celery_asyncx import CeleryAsync" in (proj / "app.py").read_text()
    assert "from proj.celery_asyncx import run_blocking" in (proj / "web/views.py").read_text()
    assert f"runtime vendored in: {vendored}" in r.err and REQ not in r.err
    assert run(capsys, "--vendor", tmp_path).status == 0
    # an outdated vendored copy is refreshed when a later run needs it
    (vendored / "blocking.py").write_bytes(init + b"# local edit\n")
    write(proj / "web" / "more.py", RESULT)
    r = run(capsys, "--vendor", tmp_path)
    assert r.status == 1 and f"Rewriting {vendored / 'blocking.py'}" in r.err
    assert (vendored / "blocking.py").read_bytes() == runtime.vendored_files()["blocking.py"]


def test_vendor_never_overwrites_a_users_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = project(tmp_path)
    write(proj / "celery_asyncx" / "__init__.py", "# mine\n")
    before = snapshot(tmp_path)
    r = run(capsys, "--vendor", tmp_path)
    assert r.status == 2
    assert f"{proj / 'celery_asyncx'} exists and is not the runtime this tool vendors" in r.err
    assert snapshot(tmp_path) == before


def test_library_code_with_no_app_gets_run_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Code that receives its app from outside: every CEL001-CEL006 in the form that works on
    any app, importable once the runtime library is installed."""
    lib = write(
        tmp_path / "lib" / "dispatch.py",
        "from celery import Celery, chain\n\n\nclass Client:\n"
        "    def __init__(self, app: Celery):\n        self.app = app\n\n"
        "    async def send(self, name, sig, tid):\n"
        "        self.app.tasks[name].delay(1)\n        self.app.tasks[name].apply_async((1,))\n"
        "        self.app.send_task(name)\n        chain(sig, sig).apply_async()\n"
        "        self.app.AsyncResult(tid).get(timeout=1)\n        self.app.control.revoke(tid)\n",
    )
    write(tmp_path / "lib" / "__init__.py", "")
    r = run(capsys, tmp_path)
    assert r.status == 1, r.err
    text = lib.read_text()
    assert ".delayx(" not in text and ".apply_asyncx(" not in text and "send_taskx" not in text
    assert text.count("await run_blocking(") == 6
    assert "from celery import Celery, chain\nfrom celery_asyncx import run_blocking\n" in text
    assert "No Celery app construction" not in r.err and "left alone" not in r.err
    assert REQ in r.err
    check = subprocess.run(
        [sys.executable, "-c", "import lib.dispatch"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr  # it imports with the runtime installed


def test_no_factory_writes_no_delayx_on_an_unwired_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = project(tmp_path)
    r = run(capsys, "--no-factory", tmp_path)
    assert r.status == 1
    assert (proj / "app.py").read_text() == APP
    views = (proj / "web" / "views.py").read_text()
    assert ".delayx(" not in views
    assert "await run_blocking(add.delay, 1, 2)" in views
    assert "--no-factory, and the app in" in r.err


def test_no_factory_keeps_delayx_for_an_app_that_is_already_async(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path / "app.py",
        "from celery_asyncx import CeleryAsync\n\napp = CeleryAsync('x')\n\n\n"
        "@app.task\ndef t():\n    pass\n",
    )
    view = write(tmp_path / "view.py", "from app import t\n\n\nasync def v():\n    t.delay()\n")
    assert run(capsys, "--no-factory", tmp_path).status == 1
    assert "    await t.delayx()\n" in view.read_text()


def test_runtime_module_that_resolves_nowhere_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path)
    before = snapshot(tmp_path)
    r = run(capsys, "--runtime-module", "nosuch.mod", tmp_path)
    assert r.status == 2
    assert "--runtime-module nosuch.mod is neither a module of this repository" in r.err
    assert snapshot(tmp_path) == before


def test_runtime_module_of_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path)
    write(tmp_path / "shared" / "runtime.py", "from celery_asyncx import *  # noqa: F403\n")
    r = run(capsys, "--runtime-module", "shared.runtime", tmp_path)
    assert r.status == 1
    assert "from shared.runtime import CeleryAsync" in (tmp_path / "proj" / "app.py").read_text()
    views = (tmp_path / "proj" / "web" / "views.py").read_text()
    assert "from shared.runtime import run_blocking" in views
    assert REQ not in r.err  # the user's module: no requirement named


@pytest.mark.parametrize(
    ("files", "added_to"),
    [
        ({"requirements.txt": "celery>=5\n"}, "requirements.txt"),
        (
            {"pyproject.toml": '[project]\nname = "x"\ndependencies = [\n    "celery>=5",\n]\n'},
            "pyproject.toml",
        ),
        (  # an entry with extras, the shape of a real service's pyproject.toml
            {"pyproject.toml": '[project]\ndependencies = [\n  "fastapi[all]",\n  "c"\n]\n'},
            "pyproject.toml",
        ),
        (
            {"pyproject.toml": '[project]\ndependencies = ["fastapi[all]", "c"]  # one line\n'},
            "pyproject.toml",
        ),
        ({"requirements.txt": "celery\n", "requirements-dev.txt": "pytest\n"}, None),
        ({"requirements.txt": "celery==5.4 \\\n    --hash=sha256:00\n"}, None),  # compiled
        ({"pyproject.toml": "[tool.poetry.dependencies]\ncelery = '*'\n"}, None),
        ({"requirements.txt": "celery\n", "poetry.lock": "# lock\n"}, "requirements.txt"),
    ],
)
def test_requirement_added_only_where_there_is_one_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], added_to: str | None
) -> None:
    try:
        tomllib = importlib.import_module("tomllib")
    except ImportError:  # Python 3.10: no TOML reader to check an edit with, so none is made
        added_to = None if added_to == "pyproject.toml" else added_to
    project(tmp_path)
    for name, text in files.items():
        write(tmp_path / name, text)
    r = run(capsys, tmp_path)
    assert r.status == 1
    for name, text in files.items():
        now = (tmp_path / name).read_text()
        if name == added_to:
            if name.endswith(".toml"):  # the same list, one entry more, as TOML reads it
                old, new = (tomllib.loads(t)["project"]["dependencies"] for t in (text, now))
                assert new == [*old, REQ]
            else:
                assert now == text + REQ + "\n"
        else:
            assert now == text  # ambiguous, a lock file or not ours to edit
    if added_to:
        assert f"install {REQ} (added to {tmp_path / added_to})" in r.err
        assert run(capsys, tmp_path).status == 0  # listed now: nothing more
    else:
        assert f"add this line to your dependencies and install it: {REQ}" in r.err


def test_celery_subclass_is_rebased(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write(
        tmp_path / "base.py",
        "import celery as c\n\n\nclass MyCelery(c.Celery):\n    pass\n\n\napp = MyCelery('x')\n",
    )
    write(
        tmp_path / "view.py", "from base import app\n\n\nasync def v():\n    app.send_task('t')\n"
    )
    assert run(capsys, tmp_path).status == 1
    assert base.read_text() == (
        "from celery_asyncx import CeleryAsync\n\n\nclass MyCelery(CeleryAsync):\n    pass\n\n\n"
        "app = MyCelery('x')\n"
    )
    assert "await app.send_taskx('t')" in (tmp_path / "view.py").read_text()


def test_vendored_marker() -> None:
    (init, *_) = runtime.vendored_files().values()
    assert runtime.is_vendored(init) and runtime.is_vendored(b"\xef\xbb\xbf" + init)
    assert not runtime.is_vendored(b"# celery_asyncx\n")
    assert factory.is_ours(factory.MARKER + b" (0.1)\n")  # 0.1's single file is not user code


def test_runtime_version_is_the_distributions() -> None:
    text = (Path(__file__).resolve().parent.parent / "celery-asyncx" / "pyproject.toml").read_text()
    assert f'\nversion = "{runtime.VERSION}"\n' in text
    assert REQ.endswith(f"@v{runtime.VERSION}#subdirectory=celery-asyncx")


def test_findings_that_are_not_rewritten_are_named_and_the_status_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository whose only findings are CEL007 (a helper in another module): the checker
    exits 1, and so does the codemod, naming each one with file:line and the reason."""
    write(tmp_path / "app.py", APP + "\n\n@app.task\ndef add(x):\n    return x\n")
    write(tmp_path / "helpers.py", "from app import add\n\n\ndef enqueue(x):\n    add.delay(x)\n")
    view = write(
        tmp_path / "view.py",
        "from helpers import enqueue\n\n\nasync def v(x):\n    enqueue(x)\n",
    )
    checker = subprocess.run(
        [sys.executable, "-m", "flake8_celery_async", "--isolated", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checker.returncode == 1 and "view.py:5:5: CEL007" in checker.stdout
    before = snapshot(tmp_path)
    for mode in ("--check", "--diff"):
        r = run(capsys, mode, "--report", tmp_path.parent / "r.json", tmp_path)
        assert r.status == 1
        assert f"    {view}:5 CEL007" in r.err
    [left] = json.loads((tmp_path.parent / "r.json").read_text())["unfixable"]
    assert (left["path"], left["line"], left["code"]) == (str(view), 5, "CEL007")
    assert "make that function async" in left["reason"]
    assert snapshot(tmp_path) == before


def test_a_file_the_checker_reads_the_codemod_fixes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not UTF-8 and no coding cookie, the odd byte in a comment: Python runs it, the checker
    reports it, and the codemod rewrites it, keeping that byte."""
    data = VIEW.replace("return add", "# caf\xe9\n    return add").encode("latin-1")
    view = write(tmp_path / "view.py", data)
    r = run(capsys, view)
    assert r.status == 1, r.err
    assert view.read_bytes() == VIEW_FIXED.replace(
        "return (await", "# caf\xe9\n    return (await"
    ).encode("latin-1")


# -- other entry points ----------------------------------------------------------------------------


def test_python_dash_m_codemod(tmp_path: Path) -> None:
    view = write(tmp_path / "view.py", VIEW)
    proc = subprocess.run(
        [sys.executable, "-m", "celery_async_codemod", "--isolated", "--no-factory", str(view)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert view.read_text() == VIEW_FIXED


def test_libcst_tool_runs_the_command(tmp_path: Path) -> None:
    view = write(tmp_path / "view.py", RESULT)
    tool = [sys.executable, "-m", "libcst.tool", "codemod", "--no-format", "--hide-progress"]
    command = ["-x", "celery_async_codemod.command.CeleryAsyncCommand"]
    proc = subprocess.run(
        [*tool, *command, str(view)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert proc.returncode == 0, proc.stderr
    assert view.read_text() == RESULT.replace(
        "AsyncResult\n", "AsyncResult\nfrom celery_asyncx import run_blocking\n"
    ).replace("return AsyncResult(tid).get()", "return await run_blocking(AsyncResult(tid).get)")


def test_changed_files_only_find_the_app_of_an_earlier_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-commit passes only the changed files: the app module is not among them."""
    proj = project(tmp_path)
    assert run(capsys, tmp_path).status == 1
    later = write(proj / "web" / "later.py", VIEWS.replace("view", "later"))
    r = run(capsys, later)
    assert r.status == 1
    assert "await add.delayx(1, 2)" in later.read_text()  # the app is a CeleryAsync already
    assert "from celery_asyncx import run_blocking\n" in later.read_text()


def test_changed_file_only_still_wires_the_app_of_its_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first run is a pre-commit run on the view alone: the app elsewhere gets wired."""
    proj = project(tmp_path)
    views = proj / "web" / "views.py"
    r = run(capsys, views)
    assert r.status == 1
    assert "await mul.delayx(2, 3)" in views.read_text()
    assert "from celery_asyncx import CeleryAsync" in (proj / "app.py").read_text()


def test_test_modules_are_not_wired_for_the_app_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path)
    conftest = write(tmp_path / "tests" / "conftest.py", APP)
    assert run(capsys, tmp_path).status == 1
    assert conftest.read_text() == APP  # no task of that app is dispatched: not wired


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_owner_kept_when_run_as_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    view = write(tmp_path / "view.py", VIEW)
    os.chown(view, 1234, 5678)
    assert run(capsys, "--no-factory", view).status == 1
    st = view.stat()
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    assert view.read_text() == VIEW_FIXED


def test_task_bases_without_the_async_methods_are_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = write(
        tmp_path / "tasks.py",
        "from celery import Celery, Task\nfrom celery.contrib.abortable import AbortableTask\n\n"
        "app = Celery('x')\n\n\n@app.task(base=AbortableTask)\ndef a():\n    pass\n\n\n"
        "@app.task(base=Task)\ndef b():\n    pass\n\n\nasync def v():\n    app.send_task('a')\n"
        "    a.delay()\n",
    )
    report = tmp_path / "r.json"
    r = run(capsys, "--report", report, tmp_path)
    assert r.status == 1
    text = tasks.read_text()
    assert "@app.task(base=AsyncTask)" in text
    assert "await app.send_taskx('a')" in text and "await run_blocking(a.delay)" in text
    assert f"{tasks}:7 base=AbortableTask: tasks built on AbortableTask get no delayx" in r.err
    notes = json.loads(report.read_text())["notes"]
    assert [n["line"] for n in notes] == [7, 19]
    assert "AbortableTask, AsyncTask" in notes[0]["note"]
    assert "a.delay() is not a task of an app this run wires (its base=" in notes[1]["note"]


def test_flake8_config_ignores_are_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "setup.cfg", "[flake8]\nextend-ignore = CEL005\ncelery-delay-name = dx\n")
    view = write(tmp_path / "view.py", VIEW + RESULT.split("\n\n\n")[1].replace("view", "res"))
    monkeypatch.chdir(tmp_path)
    assert main(["--no-factory", "view.py"]) == 1
    text = view.read_text()
    assert "(await run_blocking(add.delay, x)).id" in text  # not a task of this repository
    assert "return AsyncResult(tid).get()" in text  # CEL005 ignored: not fixed


def test_select_fixes_only_the_chosen_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    view = write(tmp_path / "view.py", VIEW + RESULT.split("\n\n\n")[1].replace("view", "res"))
    r = run(capsys, "--no-factory", "--select", "CEL005", "--report", tmp_path / "r.json", view)
    assert r.status == 1
    text = view.read_text()
    assert "return add.delay(x).id" in text  # CEL001 not selected: untouched, not listed
    assert "await run_blocking(AsyncResult(tid).get)" in text
    assert json.loads((tmp_path / "r.json").read_text())["unfixable"] == []
    assert run(capsys, "--no-factory", "--ignore", "CEL001", view).status == 0


def test_summary_lists_what_is_left_and_diff_shows_the_runtime_as_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "app.py", APP + "\n\n@app.task\ndef add(x):\n    return x\n")
    write(
        tmp_path / "api.py",
        "from celery.result import AsyncResult\nfrom fastapi import FastAPI\n\n"
        "from app import add, app\n\napi = FastAPI()\n\n\n"
        "@api.get('/')\nasync def view(tid, lib):\n"
        "    add.delay(1)\n    lib.tasks['x'].delay()\n    return AsyncResult(tid).get()\n\n\n"
        "@app.task\nasync def chained():\n    add.delay(2)\n",
    )
    r = run(capsys, "--diff", "--report", tmp_path / "r.json", tmp_path)
    assert r.status == 1
    assert "celery_asyncx/" not in r.out and "runtime module" not in r.out  # a library now
    assert todo_requirement(tmp_path / "r.json") == (
        f"add this line to your dependencies and install it: {REQ}"
    )
    todo = json.loads((tmp_path / "r.json").read_text())["todo"]
    [handler] = todo["error_handler"]
    assert handler["framework"] == "FastAPI/Starlette"
    assert "from celery_asyncx import BrokerUnavailable" in handler["snippet"]
    assert [w["line"] for w in todo["result_waits_without_timeout"]] == [14]
    assert [(t["line"], t["note"]) for t in todo["rewritten_in_worker_tasks"]] == [
        (19, "in task chained")
    ]
    [by_hand] = todo["check_by_hand"]
    assert by_hand["line"] == 13 and "lib.tasks['x'].delay()" in by_hand["note"]
    assert "map BrokerUnavailable to HTTP 503 (FastAPI/Starlette)" in r.err
    assert "await run_blocking(lib.tasks['x'].delay)" in r.out


def test_a_file_that_cannot_import_the_runtime_is_left_alone_with_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--vendor: other/view.py imports its sibling as `helper`: it runs with other/ on sys.path,
    where pkg/celery_asyncx/ is not importable. Nothing is guessed; the step is printed."""
    write(tmp_path / "pkg" / "app.py", APP)
    write(tmp_path / "pkg" / "use.py", "import pkg.app\n")
    write(tmp_path / "other" / "helper.py", "X = 1\n")
    write(tmp_path / "other" / "view.py", "import helper\n" + RESULT)
    before = snapshot(tmp_path)
    r = run(capsys, "--vendor", tmp_path)
    assert r.status == 1  # a finding is left: something needs doing
    assert snapshot(tmp_path) == before
    assert "cannot be imported from this file's import roots (other): left alone" in r.err
    assert "rerun with --runtime-module pkg.celery_asyncx" in r.err


def test_a_view_without_the_word_task_still_leads_to_its_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the definitions need the words; the importing file is followed whatever it says.
    The repository is reached through a symlink, as a temp or home folder often is."""
    real = tmp_path / "real"
    write(real / "proj" / "__init__.py", "")
    write(real / "proj" / "app.py", APP + "\n\n@app.task\ndef t():\n    pass\n")
    view = write(
        real / "proj" / "views.py", "from proj.app import t\n\n\nasync def v():\n    t.delay()\n"
    )
    (tmp_path / "link").symlink_to(real)
    subprocess.run(["git", "init", "-q"], cwd=real, check=True)
    r = run(capsys, tmp_path / "link" / "proj" / "views.py")
    assert r.status == 1
    assert "    await t.delayx()\n" in view.read_text()
    assert "CeleryAsync('proj'" in (real / "proj" / "app.py").read_text()


@pytest.mark.parametrize("mode", [[], ["--vendor"]], ids=["library", "vendor"])
def test_a_test_helper_is_fixed_by_the_first_run_and_left_by_the_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    """The shape of a real repository's tests/integration/mixins.py: a test mixin waits on a
    result of the app a factory builds. 0.1 left it alone in the first run (the runtime it
    would import was not written yet) and rewrote it in the second."""
    proj = project(tmp_path)
    write(
        proj / "factory.py", "from celery import Celery\n\n\ndef get_app():\n    return Celery()\n"
    )
    mixin = write(
        tmp_path / "tests" / "integration" / "mixins.py",
        "import asyncio\n\nfrom celery.result import AsyncResult\n\n"
        "from proj.factory import get_app\n\n\nclass WaitMixin:\n"
        "    async def wait(self, tid):\n        result = AsyncResult(tid, app=get_app())\n"
        "        while not result.ready():\n            await asyncio.sleep(0.1)\n",
    )
    write(tmp_path / "tests" / "__init__.py", "")
    write(tmp_path / "tests" / "integration" / "__init__.py", "")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    assert run(capsys, *mode, tmp_path).status == 1
    assert "while not await run_blocking(result.ready):" in mixin.read_text()
    written = snapshot(tmp_path)
    assert run(capsys, *mode, tmp_path).status == 0
    assert snapshot(tmp_path) == written


def codemod_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command line, as a user runs it (not ``main`` in this process)."""
    command = [sys.executable, "-m", "celery_async_codemod", "--isolated", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


NOQA_VIEW = (
    "from proj.tasks import add\n\n\n"
    "async def view(x):\n"
    "    add.delay(x)  # noqa: CEL001\n"
    "    add.apply_async((x,))  # noqa\n"
    "    return add.delay(  # noqa: CEL\n"
    "        x,\n"
    "    )\n"
)


def test_noqa_lines_are_listed_left_alone_and_need_nothing(tmp_path: Path) -> None:
    """Findings a ``# noqa`` silences: the checker reports none of them; the codemod leaves
    them alone, names each with file:line and the comment, and exits 0 for them alone."""
    write(tmp_path / "view.py", NOQA_VIEW)
    write(tmp_path / "quiet.py", "# flake8: noqa\n" + VIEW)
    checker = subprocess.run(
        [sys.executable, "-m", "flake8_celery_async", "--isolated", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (checker.returncode, checker.stdout) == (0, "")
    before = snapshot(tmp_path)
    r = codemod_cli(tmp_path, "--check", "--report", "../r.json", ".")
    assert r.returncode == 0, r.stderr
    assert "left alone, silenced in the source (nothing to do): 4" in r.stderr
    noqa = "  # noqa (3):\n    ./view.py:5 CEL001\n    ./view.py:6 CEL002\n    ./view.py:7 CEL001\n"
    assert noqa in r.stderr
    assert "  # flake8: noqa (1):\n    ./quiet.py:6 CEL001\n" in r.stderr
    assert "unfixable" not in r.stderr
    data = json.loads((tmp_path.parent / "r.json").read_text())
    assert data["unfixable"] == [] and data["exit_status"] == 0
    left = [(f["path"], f["line"], f["code"], f["reason"]) for f in data["silenced"]]
    assert left == [
        ("./quiet.py", 6, "CEL001", "# flake8: noqa"),
        ("./view.py", 5, "CEL001", "# noqa"),
        ("./view.py", 6, "CEL002", "# noqa"),
        ("./view.py", 7, "CEL001", "# noqa"),
    ]
    assert snapshot(tmp_path) == before


def test_noqa_lines_are_named_where_the_rewritten_file_has_them(tmp_path: Path) -> None:
    """A rewrite in the same file adds an import above them: the lines named are the ones
    the file has after the run, and they still carry their comment."""
    view = write(tmp_path / "view.py", NOQA_VIEW + "\n\nasync def other(x):\n    add.delay(x)\n")
    r = codemod_cli(tmp_path, "--no-factory", "--report", "../r.json", ".")
    assert r.returncode == 1, r.stderr  # a file changed
    assert "Rewriting ./view.py" in r.stderr
    data = json.loads((tmp_path.parent / "r.json").read_text())
    assert data["rewritten"] == ["./view.py"] and data["unfixable"] == []
    lines = view.read_text().splitlines()
    assert lines[0] == "from celery_asyncx import run_blocking"
    named = [(f["line"], f["code"]) for f in data["silenced"]]
    assert named == [(7, "CEL001"), (8, "CEL002"), (9, "CEL001")]
    assert all("# noqa" in lines[n - 1] for n, _ in named)
    again = codemod_cli(tmp_path, "--no-factory", ".")
    assert again.returncode == 0, again.stderr  # only the noqa'd findings are left
    assert "left alone, silenced in the source (nothing to do): 3" in again.stderr
