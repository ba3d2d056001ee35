"""Hypothesis strategies shared by the checker and codemod fuzz tests."""

from __future__ import annotations

import os
import re
import textwrap

from cel_support import EVAL_FILES
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DEEP = os.environ.get("CEL_FUZZ_DEEP") == "1"
FUZZ = settings(
    max_examples=2000 if DEEP else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
"""Bounded example counts by default; CEL_FUZZ_DEEP=1 for a long run."""
FIXTURES = [p.read_text() for p in EVAL_FILES]
RECEIVERS = ["t", "self.t", "tasks[k]", "app", "res", "sig", "pool", "row", "(a | b)", "chain(x)"]
METHODS = ["delay", "apply_async", "send_task", "get", "state", "s", "control.revoke", "ready"]


def _wrap_async(source: str) -> str:
    return "async def __wrapper():\n" + textwrap.indent(source, "    ") + "\n    pass\n"


def mutations() -> st.SearchStrategy[str]:
    fixture = st.sampled_from(FIXTURES)
    receiver = st.sampled_from(RECEIVERS)
    method = st.sampled_from(METHODS)
    snippet = st.builds(lambda r, m: f"{r}.{m}(1)", receiver, method)
    contexts = st.sampled_from(
        [
            "async def f():\n    {}\n",
            "async def f():\n    def g():\n        {}\n",
            "async def f():\n    return lambda: {}\n",
            "async def f():\n    return [{} for _ in x]\n",
            "async def f():\n    return list({} for _ in x)\n",
            "async def f():\n    await {}\n",
            "async def f():\n    class C:\n        y = {}\n",
            "def f():\n    async def g():\n        return {{1: {}}}\n",
            "async def f():\n    with Pool() as pool:\n        {}\n",
            "async def f():\n    for r in [t.delay(i) for i in x]:\n        {}\n",
        ]
    )
    placed = st.builds(lambda c, s: c.format(s), contexts, snippet)
    renamed = st.builds(
        lambda src, old, new: re.sub(rf"\b{re.escape(old)}\b", new, src),
        fixture,
        st.sampled_from(["send_email", "add", "app", "res", "result", "self"]),
        st.sampled_from(["x", "pool", "sig", "app", "celery_app"]),
    )
    awaited = st.builds(lambda src: re.sub(r"(\w+)\.delay\(", r"await \1.delay(", src), fixture)
    return st.one_of(placed, renamed, awaited, fixture.map(_wrap_async))
