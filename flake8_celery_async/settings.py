"""User settings shared by the flake8 plugin, the standalone CLI and the codemod.

Every option is a flake8 option (so it is read from ``.flake8``, ``setup.cfg`` or ``tox.ini``)
and a flag of the standalone CLI and the codemod, with the same name.
"""

from __future__ import annotations

import re
from functools import cached_property

# What a file must contain to be worth parsing: every rule needs an ``async def`` and one of
# these names. Each coarse name costs a scan of every file with an ``async def``, so there are
# few; a coarse hit that is only a prefix of what matters is confirmed by the refinements.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    ".delay": (),
    "apply_async": (),
    "send_task": (),
    "celery": (),  # imports: canvas (chain, group...), current_app, celery.result
    "Result": ("AsyncResult", "GroupResult", "ResultSet"),
    ".control": (),
    "shared_task": (),
    # CEL008's @app.task / @app.task(...), not self.task.x, .tasks or .task_id
    ".task": (".task(", ".task\n", ".task\r", ".task ", ".task\t", ".task#"),
}
_ASYNC_DEF_BYTES = re.compile(rb"async\s+def")
_ASYNC_DEF_TEXT = re.compile(r"async\s+def")


class Option:
    """One option: its flag, its ``Settings`` field, help text, and whether it is a list."""

    __slots__ = ("field", "flag", "help", "is_list")

    def __init__(self, flag: str, field: str, help: str, is_list: bool = False) -> None:
        self.flag, self.field, self.help, self.is_list = flag, field, help, is_list

    @property
    def dest(self) -> str:
        """The argparse destination, as flake8 derives it from the flag."""
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option(
        "--celery-delay-name",
        "delay_name",
        "async counterpart of Task.delay used in messages and by the codemod (default: delayx)",
    ),
    Option(
        "--celery-apply-async-name",
        "apply_async_name",
        "async counterpart of Task.apply_async (default: apply_asyncx)",
    ),
    Option(
        "--celery-send-task-name",
        "send_task_name",
        "async counterpart of Celery.send_task (default: send_taskx)",
    ),
    Option(
        "--celery-ignore-receivers",
        "ignore_receivers",
        "comma-separated glob patterns of receivers that are not Celery, matched against the "
        "receiver's source (e.g. 'row,self.pool,*.executor')",
        is_list=True,
    ),
    Option(
        "--celery-extra-dispatch",
        "extra_dispatch",
        "comma-separated extra method names that publish to the broker like .delay "
        "(e.g. 'delay_on_commit,enqueue'); reported as CEL001",
        is_list=True,
    ),
)


class Settings:
    """The options' values; built once per run and never changed.

    A plain class, not a dataclass: importing ``dataclasses`` costs the standalone CLI more
    than a third of its start-up.
    """

    def __init__(
        self,
        delay_name: str = "delayx",
        apply_async_name: str = "apply_asyncx",
        send_task_name: str = "send_taskx",
        ignore_receivers: tuple[str, ...] = (),
        extra_dispatch: tuple[str, ...] = (),
        helper: str = "run_blocking",
        read_helper: str = "read_result",
    ) -> None:
        self.delay_name = delay_name
        self.apply_async_name = apply_async_name
        self.send_task_name = send_task_name
        self.ignore_receivers = ignore_receivers
        self.extra_dispatch = extra_dispatch
        self.helper = helper
        self.read_helper = read_helper

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"Settings({fields})"

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> Settings:
        """Build settings from option values keyed by ``Option.dest`` (``None``: default)."""
        kwargs: dict[str, object] = {}
        for option in OPTIONS:
            value = values.get(option.dest)
            if value is None or value == "" or value == []:
                continue
            if option.is_list:
                items = re.split(r"[,\s]+", value) if isinstance(value, str) else value
                assert isinstance(items, list | tuple)
                kwargs[option.field] = tuple(str(v) for v in items if v)
            else:
                name = str(value).strip()
                if not name.isidentifier():
                    raise ValueError(f"{option.flag}: {name!r} is not a Python identifier")
                kwargs[option.field] = name
        return cls(**kwargs)  # type: ignore[arg-type]

    @cached_property
    def async_names(self) -> frozenset[str]:
        return frozenset((self.delay_name, self.apply_async_name, self.send_task_name))

    @cached_property
    def _triggers(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (*_TRIGGERS.items(), *((name, ()) for name in self.extra_dispatch))

    @cached_property
    def _trigger_bytes(self) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
        return tuple((t.encode(), tuple(r.encode() for r in rs)) for t, rs in self._triggers)

    def may_have_findings(self, source: bytes | str) -> bool:
        """The cheap text check: can this source contain any finding at all?

        Every rule needs an ``async def`` and one of the trigger names, so a file without
        them is never parsed. False positives only cost a parse.
        """
        if isinstance(source, bytes):
            if b"async" not in source or _ASYNC_DEF_BYTES.search(source) is None:
                return False
            return any(
                t in source and (not rs or any(r in source for r in rs))
                for t, rs in self._trigger_bytes
            )
        if "async" not in source or _ASYNC_DEF_TEXT.search(source) is None:
            return False
        return any(
            t in source and (not rs or any(r in source for r in rs)) for t, rs in self._triggers
        )
