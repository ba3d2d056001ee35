"""What a run adds besides the rewritten files: the requirement line of the runtime library
(where the repository has one place for it), or with ``--vendor`` the runtime's own files.
"""

from __future__ import annotations

import os

from . import requirement, runtime
from .fixer import Outcome, read_only
from .plan import Plan, PlanFailed
from .survey import Survey
from .writer import RuntimeWrite


def runtimes(
    used: set[str], plan: Plan, survey: Survey, runtime_module: str | None, vendor: bool
) -> None:
    """The runtime import rewritten files use, and what makes it resolve (``used``: the
    vendored runtimes' ``__init__.py`` they import)."""
    s = plan.summary
    if runtime_module:
        s.runtime_import = str(runtime_module)
        return
    if not vendor:
        if plan.outcomes:
            s.runtime_import = runtime.PACKAGE
            s.requirement = runtime.REQUIREMENT
            add_requirement(plan, survey)
        return
    files = runtime.vendored_files()
    for init in sorted(used):
        folder = os.path.dirname(init)
        for rel, new in files.items():
            path = os.path.join(folder, *rel.split("/"))
            old = survey.data.get(path)
            if old is None and os.path.lexists(path):
                if not path.endswith(".py"):
                    with open(path, "rb") as f:
                        old = f.read()
                else:
                    raise PlanFailed(2, f"{path} appeared while planning: nothing written")
            if old == new:
                continue
            plan.runtimes.append(RuntimeWrite(survey.show(path), old, new))
        s.runtime.append(survey.show(folder))
    if used:
        s.runtime_import = survey.runtime_name(sorted(used)[0])


def add_requirement(plan: Plan, survey: Survey) -> None:
    """The requirement line, where the repository has exactly one place for it."""
    data = requirement.read_files({survey.repo, *(os.path.dirname(p) for p in survey.data)})
    found = requirement.candidates(data)
    s = plan.summary
    if any(requirement.already_listed(data[p]) for p in found):
        s.requirement_added = "listed"
        return
    if len(found) != 1:
        return
    path = found[0]
    new = requirement.add(path, data[path])
    if new is None or read_only(path):
        return
    shown = survey.show(path)
    plan.outcomes.append(Outcome(shown, data[path], new))
    s.changed.append(shown)
    s.requirement_added = shown
