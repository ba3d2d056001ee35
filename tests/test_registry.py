"""Adding a rule is one module in ``rules/``: the registry finds it, and the analysis's
dispatch, the text check, the index's words, CEL007 and the CLI follow from its catalogue
entry. Checked on a copy of the package with a CEL009 module added (nothing else edited)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from cel_support import ROOT

CEL009 = '''
"""CEL009 (written by a test): ``time.sleep()`` on the event loop."""

from __future__ import annotations

import ast

from ..syntax.nodes import dotted
from .base import Example, Hook, Rule, Trigger

if False:  # for type checkers only
    from ..scopes.frames import Frame
    from ..scopes.walker import Walker

CEL009 = Rule(
    code="CEL009",
    name="sleep-on-event-loop",
    summary="`time.sleep()` stops the loop",
    message="CEL009 {what} blocks the event loop in async def; use `{fix}`",
    fix="not rewritten (listed)",
    triggers=(Trigger("time.sleep"),),
    valid=("import asyncio\\nasync def f():\\n    await asyncio.sleep(1)\\n",),
    invalid=(Example("import time\\nasync def f():\\n    time.sleep(1)\\n"),),
)
RULES = (CEL009,)


def detect_sleep(a: Walker, node: ast.Call, frame: Frame) -> bool:
    if dotted(node.func) != "time.sleep":
        return False
    a.report(node, frame, "CEL009", "time.sleep()", "await asyncio.sleep(...)", reason="listed")
    return True


HOOKS = (Hook("call", detect_sleep, order=40),)
'''

PROBE = """
import json
from flake8_celery_async.analysis.analyzer import analyze_source
from flake8_celery_async.rules import BY_CODE, INDEX_WORDS, may_have_findings
from flake8_celery_async.settings import Settings

direct = "import time\\nasync def view():\\n    time.sleep(1)\\n"
helper = "import time\\ndef nap():\\n    time.sleep(1)\\nasync def view():\\n    nap()\\n"
print(json.dumps({
    "codes": sorted(BY_CODE),
    "direct": [f.code for f in analyze_source(direct)],
    "helper": [f.message for f in analyze_source(helper)],
    "text_check": may_have_findings(direct, Settings()),
    "index_word": b"time.sleep" in INDEX_WORDS,
    "cel007_words": "time.sleep" in [t.word for t in BY_CODE["CEL007"].triggers],
}))
"""


def test_a_new_rule_module_is_all_it_takes(tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(
        ROOT / "flake8_celery_async",
        copy / "flake8_celery_async",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (copy / "flake8_celery_async" / "rules" / "sleeping.py").write_text(CEL009.lstrip())
    env = {**os.environ, "PYTHONPATH": str(copy), "CELERY_ASYNC_CACHE_DIR": "off"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    found = json.loads(probe.stdout)
    assert found["codes"][-1] == "CEL009"
    assert found["direct"] == ["CEL009"]
    assert found["helper"] == [
        "CEL007 nap() does synchronous Celery I/O (via line 3 time.sleep) and blocks the event "
        "loop in async def; make it async, or use `await run_blocking(nap, ...)`"
    ]
    assert found["text_check"] and found["index_word"] and found["cel007_words"]
    (tmp_path / "views.py").write_text(
        textwrap.dedent(
            """\
            import time


            async def view():
                time.sleep(1)
            """
        )
    )
    cli = subprocess.run(
        [sys.executable, "-m", "flake8_celery_async", "--isolated", "views.py"],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert cli.stdout.startswith("views.py:5:5: CEL009 time.sleep() blocks the event loop")
    assert cli.returncode == 1
