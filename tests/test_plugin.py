"""The flake8 plugin through real flake8: registration, options from config files, noqa."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cel_support import run, tool

SOURCE = textwrap.dedent(
    """\
    from proj.tasks import send_email, legacy


    async def view(x):
        send_email.delay(x)
        send_email.delay(x)  # noqa
        send_email.delay(x)  # noqa: CEL001
        send_email.delay(x)  # NOQA:CEL001,E501
        send_email.delay(x)  # noqa: CEL
        send_email.delay(x)  # noqa: CEL002
        send_email.delay(  # flake8 looks for noqa on the reported (first) line
            x,
        )  # noqa: CEL001
        legacy.delay(x)
        return send_email.apply_async((x,))
    """
)


def _codes(output: str) -> list[tuple[int, str]]:
    rows = []
    for line in output.splitlines():
        _, number, _, rest = line.split(":", 3)
        rows.append((int(number), rest.split()[0]))
    return rows


def test_flake8_version_lists_the_plugin() -> None:
    out = run(tool("flake8"), "--version").stdout
    assert "flake8-celery-async: 0.1.0" in out.replace("\n", " ")


@pytest.mark.parametrize("command", ["flake8", "flake8-celery-async"])
def test_noqa_forms(tmp_path: Path, command: str) -> None:
    (tmp_path / "views.py").write_text(SOURCE)
    args = ["--select", "CEL"] if command == "flake8" else []
    result = run(tool(command), "--isolated", *args, "views.py", cwd=tmp_path)
    assert _codes(result.stdout) == [
        (5, "CEL001"),
        (10, "CEL001"),
        (11, "CEL001"),
        (14, "CEL001"),
        (15, "CEL002"),
    ]
    assert result.returncode == 1


@pytest.mark.parametrize("config_name", [".flake8", "setup.cfg", "tox.ini"])
@pytest.mark.parametrize("command", ["flake8", "flake8-celery-async"])
def test_options_from_config(tmp_path: Path, command: str, config_name: str) -> None:
    (tmp_path / "views.py").write_text(SOURCE)
    (tmp_path / config_name).write_text(
        "[flake8]\n"
        "extend-select = CEL\n"
        "celery-ignore-receivers = legacy\n"
        "celery-delay-name = delay_async\n"
        "celery-apply-async-name = apply_async_nowait\n"
    )
    args = ["--select", "CEL"] if command == "flake8" else []
    result = run(tool(command), *args, "views.py", cwd=tmp_path)
    assert _codes(result.stdout) == [(5, "CEL001"), (10, "CEL001"), (11, "CEL001"), (15, "CEL002")]
    assert "await send_email.delay_async(...)" in result.stdout
    assert "await send_email.apply_async_nowait(...)" in result.stdout


@pytest.mark.parametrize("command", ["flake8", "flake8-celery-async"])
def test_per_file_ignores_and_extend_ignore(tmp_path: Path, command: str) -> None:
    (tmp_path / "views.py").write_text(SOURCE)
    (tmp_path / "other.py").write_text(SOURCE)
    (tmp_path / ".flake8").write_text(
        "[flake8]\nper-file-ignores =\n    other.py: CEL001\nextend-ignore = CEL002\n"
    )
    args = ["--select", "CEL"] if command == "flake8" else []
    result = run(tool(command), *args, ".", cwd=tmp_path)
    lines = sorted(result.stdout.splitlines())
    assert [line.split(":")[0] for line in lines] == ["./views.py"] * 4
    assert all("CEL001" in line for line in lines)


def test_importing_the_plugin_imports_neither_libcst_nor_celery() -> None:
    code = (
        "import sys, flake8_celery_async.plugin, flake8_celery_async.cli;"
        "bad = [m for m in ('libcst', 'celery', 'kombu', 'flake8') if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_invalid_option_value_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(SOURCE)
    result = run(
        tool("flake8-celery-async"), "--celery-delay-name", "not valid", "views.py", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "not a Python identifier" in result.stderr
