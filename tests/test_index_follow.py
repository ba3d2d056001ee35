"""What the project index reads after round one: the files that import what it found, not
every file that says the same name (issue 23: a cold run read hundreds of files for words
like ``main`` or ``send_email``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cel_support import tool

from flake8_celery_async.project.follow import Found, Importers, Reader, imports_of
from flake8_celery_async.project.indexer import Indexer, build_index
from flake8_celery_async.project.statements import import_lines, said_imports
from flake8_celery_async.scopes.kinds import Kind
from flake8_celery_async.settings import Settings

TASKS = (
    "from celery import Celery\n\napp = Celery('proj')\n\n\n"
    "@app.task\ndef deliver(to):\n    return to\n"
)


def _project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\nversion = '0'\n")
    for name, text in {"proj/__init__.py": "", "proj/tasks.py": TASKS, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _summarized(root: Path) -> set[str]:
    """The files the index summarized (its modules, by path)."""
    index = build_index(str(root), Settings(cache_dir="off"))
    return {summary["p"] for summary in index.modules.values()}


def _findings(root: Path) -> list[str]:
    env = {**os.environ, "CELERY_ASYNC_CACHE_DIR": "off"}
    out = subprocess.run(
        [tool("flake8-celery-async"), "--isolated", "."],
        cwd=root, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert out.stderr == ""
    rows = [line.split(": ", 1) for line in out.stdout.splitlines()]
    return sorted(f"{where.split(':')[0]} {message.split()[0]}" for where, message in rows)


CHAIN = {
    # Round one: a Celery word.
    "proj/mailing.py": (
        "from proj.tasks import deliver\n\n\ndef send_email(to):\n    deliver.delay(to)\n"
    ),
    # No Celery word: reached through its import of mailing (round two), then of this.
    "proj/accounts.py": (
        "from .mailing import send_email\n\n\ndef main(user):\n    send_email(user)\n"
    ),
    "proj/signup.py": (
        "from proj import accounts\n\n\ndef welcome(user):\n    accounts.main(user)\n"
    ),
    "proj/api.py": (
        "from proj.signup import welcome\n\n\nasync def view(user):\n    welcome(user)\n"
    ),
    # The same names, none of them imported from the project.
    "proj/local_mail.py": (
        "def send_email(to):\n    return to\n\n\nasync def view(to):\n    send_email(to)\n"
    ),
    "tools/run.py": "def main():\n    return 1\n\n\nasync def start():\n    main()\n",
    "tools/cli.py": "from tools.run import main\n\n\nasync def go():\n    main()\n",
}


def test_a_helper_reached_through_an_import_chain_is_found(tmp_path: Path) -> None:
    root = _project(tmp_path, CHAIN)
    read = _summarized(root)
    assert {"proj/mailing.py", "proj/accounts.py", "proj/signup.py"} <= read
    assert _findings(root) == ["./proj/api.py CEL007"]


def test_a_file_that_only_says_the_same_name_is_not_read(tmp_path: Path) -> None:
    root = _project(tmp_path, CHAIN)
    read = _summarized(root)
    assert not read & {"proj/local_mail.py", "tools/run.py", "tools/cli.py"}
    assert not [f for f in _findings(root) if "local_mail" in f or "tools/" in f]


def test_the_check_reads_a_file_that_says_a_found_name_only_if_it_imports_it(
    tmp_path: Path,
) -> None:
    """The index's names make a file matter when it holds or imports what was found; its own
    function of the same name (``send_email`` in local_mail.py) is no reason to parse it."""
    from flake8_celery_async.pipeline.check import check_source

    root = _project(tmp_path, CHAIN)
    settings = Settings(cache_dir="off")
    results = {
        rel: check_source((root / rel).read_bytes(), settings, path=str(root / rel))
        for rel in ("proj/api.py", "proj/local_mail.py", "tools/cli.py")
    }
    assert [f.code for f in results["proj/api.py"].findings] == ["CEL007"]
    assert results["proj/api.py"].parsed
    assert not results["proj/local_mail.py"].parsed
    assert not results["tools/cli.py"].parsed


def test_test_modules_are_checked_but_never_summarized(tmp_path: Path) -> None:
    """Nothing imports a test module, and what it passes the project's functions (mocks)
    says nothing of how the project runs: the index leaves it out; the check does not."""
    root = _project(
        tmp_path,
        {
            **CHAIN,
            "tests/test_api.py": (
                "from proj.tasks import deliver\nfrom proj.mailing import send_email\n\n\n"
                "def make(to):\n    deliver.delay(to)\n\n\n"
                "async def test_view():\n    send_email('a')\n    deliver.delay('b')\n"
            ),
            "tests/factories.py": (
                "from proj.tasks import deliver\n\n\ndef make(to):\n    deliver.delay(to)\n"
            ),
        },
    )
    read = _summarized(root)
    assert "tests/test_api.py" not in read
    assert "tests/factories.py" in read  # a test folder's helpers are imported: summarized
    assert [f for f in _findings(root) if "tests/" in f] == [
        "./tests/test_api.py CEL001",
        "./tests/test_api.py CEL007",
    ]


def test_a_subclass_in_another_module_is_found(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "proj/base.py": (
                "from proj.tasks import deliver\n\n\nclass Notifier:\n"
                "    def notify(self, to):\n        deliver.delay(to)\n"
            ),
            # No Celery word: it imports the base class's module.
            "proj/mailer.py": (
                "from proj.base import Notifier\n\n\nclass Mailer(Notifier):\n"
                "    def welcome(self, to):\n        self.notify(to)\n"
            ),
            "proj/views.py": (
                "from proj.mailer import Mailer\n\nmailer = Mailer()\n\n\n"
                "async def view(to):\n    mailer.welcome(to)\n"
            ),
            # A Tornado handler's subclass two modules away: its sync methods run on the loop.
            "web/base.py": (
                "import tornado.web\n\n\nclass BaseHandler(tornado.web.RequestHandler):\n    pass\n"
            ),
            "web/app_handler.py": (
                "from web.base import BaseHandler\n\n\nclass AppHandler(BaseHandler):\n    pass\n"
            ),
            "web/home.py": (
                "from proj.mailing_helpers import send_email\nfrom web.app_handler import "
                "AppHandler\n\n\nclass Home(AppHandler):\n    def get(self):\n"
                "        send_email('x')\n"
            ),
            "proj/mailing_helpers.py": (
                "from proj.tasks import deliver\n\n\ndef send_email(to):\n    deliver.delay(to)\n"
            ),
        },
    )
    read = _summarized(root)
    assert {"proj/mailer.py", "web/app_handler.py"} <= read
    assert _findings(root) == ["./proj/views.py CEL007", "./web/home.py CEL007"]


def test_imports_are_read_whole_and_relative_ones_resolved() -> None:
    source = (
        b'"""Docs: import this, from here import that."""\n'
        b"import os.path as p, json\nfrom . import sibling\nfrom ..pkg.sub import (\n"
        b"    a,\n    b as c,\n)\nfrom x import \\\n    y\n\n\ndef f():\n    from z import w\n"
        b"    import q  # (a parenthesis in a comment\n    return w\n"
    )
    assert imports_of(source, "app/inner/mod.py") == [
        ("os.path", None),
        ("json", None),
        ("app.inner", ("sibling",)),
        ("app.pkg.sub", ("a", "b")),
        ("x", ("y",)),
        ("z", ("w",)),
        ("q", None),
    ]


def test_what_import_lines_say_holds_every_parsed_import() -> None:
    """The text's reading of the imports (which lets the index pass over a file without
    reading all of it) says at least what the parse finds, or that it is unsure."""
    source = (
        b'"""Docs: import this, from here import that."""\n'
        b"import os.path as p, json\nfrom . import sibling\nfrom ..pkg.sub import (\n"
        b"    a,\n    b as c,\n)\nfrom m import (n)\n\n\ndef f():\n"
        b"    from z import w\n    import q  # a comment\n    return w\n"
    )
    unsure, said = said_imports(source, "app/inner/mod.py", import_lines(source))
    assert not unsure
    for module, taken in imports_of(source, "app/inner/mod.py"):
        assert any(m == module and set(taken or ()) <= set(t or ()) for m, t in said), module
    for text in (
        b"from x import \\\n    y\n",
        b"import a; import b\n",
        b"from x import (  # (\n y)\n",
    ):
        assert said_imports(text, "m.py", import_lines(text))[0], text


def test_the_files_a_round_looks_up_are_those_whose_imports_may_reach_its_finds() -> None:
    """``Importers`` (what import lines say, inverted once) gives each round the files the
    per-file test (``Found._may_reach``) passes, whatever the shape of the import."""
    datas = {
        "a.py": b"import app.services.mail\n",
        "b.py": b"import app\n",
        "c.py": b"from app.services import mail\n",
        "d.py": b"from app.services.mail import send_email as s, other\n",
        "e.py": b"from elsewhere import send_email\n",
        "f.py": b"from app.services.mail import *\n",
        "g.py": b"from app.services import *\n",
        "h.py": b"import os, json\nfrom typing import Any\n",
        "i.py": b"import app.services.mail.smtp\n",
        "j.py": b"x = 1  # no imports\n",
    }
    reader = Reader(datas)
    importers = Importers(reader, sorted(datas))
    found = Found.__new__(Found)
    reached: list[set[str]] = []
    for names, words in (
        ({"app.services.mail"}, {"send_email"}),
        ({"app.services.mail", "mail"}, set()),
        ({"app.services"}, {"Mailer"}),
        ({"other.module"}, {"nothing"}),
    ):
        found.names, found.words = names, words
        found.within = {n.rsplit(".", i)[0] for n in names for i in range(n.count(".") + 1)}
        expected = {
            rel for rel in datas
            if any(found._may_reach(m, taken) for m, taken in reader.said(rel)[1])
        }  # fmt: skip
        assert importers.of(found) == expected, names
        reached.append(expected)
    assert reached[0] == {"a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "i.py"}
    assert reached[-1] == set()


def test_the_library_name_alone_counts_where_it_is_imported(tmp_path: Path) -> None:
    """``celery`` reads a file for round one when the file imports the library, or the
    project module holding the app; not for a column, nor a module named after it."""
    root = _project(
        tmp_path,
        {
            "proj/fanout.py": (
                "from celery import group\nfrom proj.tasks import deliver\n\n\n"
                "def fan_out(xs):\n    return group(deliver.s(x) for x in xs)()\n"
            ),
            "proj/api.py": (
                "from proj.fanout import fan_out\n\n\nasync def view(xs):\n    fan_out(xs)\n"
            ),
            "proj/celery_app.py": "from celery import Celery\n\napp = Celery('proj')\n",
            "proj/pings.py": (
                "from proj.celery_app import app\n\n\ndef ping():\n"
                "    return app.signature('proj.tasks.deliver')\n"
            ),
            "proj/models.py": (
                "celery_task_id = None\n\n\nasync def view():\n    return celery_task_id\n"
            ),
            "proj/celery_utils.py": "def name():\n    return 'x'\n",
            "proj/names.py": (
                "from proj.celery_utils import name\n\n\nasync def label():\n    return name()\n"
            ),
        },
    )
    read = _summarized(root)
    assert {"proj/fanout.py", "proj/pings.py"} <= read
    assert not read & {"proj/models.py", "proj/celery_utils.py", "proj/names.py"}
    assert _findings(root) == ["./proj/api.py CEL007"]


def test_the_class_name_counts_where_an_app_is_built_not_in_prose(tmp_path: Path) -> None:
    """``Celery(`` reads a file for round one (an app built from a project's subclass); the
    word in a docstring or comment does not, nor an ``http.server`` request handler, nor a
    ``self.delay = delay`` setting."""
    root = _project(
        tmp_path,
        {
            "proj/base.py": "from celery import Celery\n\n\nclass MyCelery(Celery):\n    pass\n",
            "proj/worker.py": "from proj import base\n\napp = base.MyCelery('proj')\n",
            "proj/notes.py": (
                '"""Runs beside the Celery worker."""\n\n\nasync def view():\n'
                "    return 1  # Celery retries this\n"
            ),
            # A setting named delay is no dispatch: .delay counts where it is called.
            "proj/retry.py": (
                "class Retry:\n    def __init__(self, delay):\n        self.delay = delay\n"
            ),
            # The standard library's request handlers are no Tornado handlers.
            "proj/health.py": (
                "import http.server\n\n\nclass Health(http.server.BaseHTTPRequestHandler):\n"
                "    def do_GET(self):\n        self.send_response(200)\n"
            ),
        },
    )
    read = _summarized(root)
    assert {"proj/base.py", "proj/worker.py"} <= read
    assert not read & {"proj/notes.py", "proj/health.py", "proj/retry.py"}


def test_only_what_the_index_can_change_is_summarized_again(tmp_path: Path) -> None:
    """The second pass (with the index in hand) reads the module whose parameters get kinds
    and the module that reaches it, not every module that says an index word."""
    root = _project(
        tmp_path,
        {
            "proj/waits.py": "def wait(res):\n    return res.get()\n",
            "proj/api.py": (
                "from proj.tasks import deliver\nfrom proj.waits import wait\n\n\n"
                "async def view(x):\n    return wait(deliver.delay(x))\n"
            ),
            # Round one (a Celery word), says `wait` and has an async def: its summary
            # cannot change, it is not read again.
            "proj/other.py": (
                "from proj.tasks import deliver\n\n\ndef wait(x):\n    return x\n\n\n"
                "async def view(x):\n    deliver.delay(x)\n    return wait(x)\n"
            ),
        },
    )
    indexer = Indexer(str(root), Settings(cache_dir="off"))
    index = indexer.build()
    assert index.params == {"proj.waits.wait": {"res": Kind.RESULT}}
    assert sorted(indexer.again) == ["proj/api.py", "proj/waits.py"]
    assert index.blocking("proj.waits.wait") is not None
    assert _findings(root) == [
        "./proj/api.py CEL001", "./proj/api.py CEL007", "./proj/other.py CEL001",
    ]  # fmt: skip


def test_a_summarized_module_is_not_analyzed_again_unless_its_answers_changed(
    tmp_path: Path,
) -> None:
    """The index's analysis of a module (its summary) is the check's, when the final index
    answers every question it asked alike; a module that asked about a helper found in a
    later round is analyzed again, and the helper it calls is reported."""
    root = _project(
        tmp_path,
        {
            # Round one (Celery words); asks nothing whose answer changes later.
            "proj/direct.py": (
                "from proj.tasks import deliver\n\n\nasync def view(x):\n    deliver.delay(x)\n"
            ),
            # Round one (a Celery word in a comment); asks about notify, which blocks
            # (found in round one) through `helpers`, reached in round two.
            "proj/late.py": (
                "# celery: dispatches through helpers\nfrom proj.helpers import notify\n\n\n"
                "async def view(x):\n    notify(x)\n    return x.delay\n"
            ),
            "proj/helpers.py": ("from proj.mailing import send\n\n\ndef notify(x):\n    send(x)\n"),
            "proj/mailing.py": (
                "from proj.tasks import deliver\n\n\ndef send(x):\n    deliver.delay(x)\n"
            ),
        },
    )
    index = build_index(str(root), Settings(cache_dir="off"))
    assert {"proj/direct.py", "proj/late.py"} <= set(index.analyzed)
    direct, late = index.context("proj/direct.py"), index.context("proj/late.py")
    sha = {rel: index.shas[rel] for rel in ("proj/direct.py", "proj/late.py")}
    found = index.analyzed_findings(direct, sha["proj/direct.py"])
    assert found is not None and [f[4] for f in found] == ["CEL001"]
    assert index.analyzed_findings(direct, "another content") is None  # the file changed
    assert late.blocking("proj.helpers.notify") is not None
    assert index.analyzed_findings(late, sha["proj/late.py"]) is None  # answered otherwise
    assert _findings(root) == ["./proj/direct.py CEL001", "./proj/late.py CEL007"]
