"""User settings shared by the flake8 plugin, the standalone CLI and the codemod.

Every option is a flake8 option (so it is read from ``.flake8``, ``setup.cfg`` or ``tox.ini``)
and a flag of the standalone CLI and the codemod, with the same name.
"""

from __future__ import annotations

import re
from functools import cached_property

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class Option:
    """One option: its flag, its ``Settings`` field, help text, and whether it is a list."""

    __slots__ = ("field", "flag", "help", "is_bool", "is_list", "is_path")

    def __init__(
        self,
        flag: str,
        field: str,
        help: str,
        is_list: bool = False,
        is_bool: bool = False,
        is_path: bool = False,
    ) -> None:
        self.flag, self.field, self.help, self.is_list = flag, field, help, is_list
        self.is_bool, self.is_path = is_bool, is_path

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
    Option(
        "--celery-async-task-pool",
        "async_task_pool",
        "true: the worker runs an asyncio-capable pool (celery_aio_pool, celery_pool_asyncio), "
        "so `async def` tasks are fine and CEL008 is not reported; false: report CEL008 "
        "anyway; unset: look for such a pool in the project",
        is_bool=True,
    ),
    Option(
        "--celery-cache-dir",
        "cache_dir",
        "where the project index and findings are cached (default: .celery_async_cache in "
        "the project root; 'off' disables it; the CELERY_ASYNC_CACHE_DIR variable wins)",
        is_path=True,
    ),
    Option(
        "--celery-source-roots",
        "source_roots",
        "comma-separated folders, relative to the repository root, that are on sys.path when "
        "the code runs (e.g. 'backend,api'; '.' is the root itself); default: inferred from "
        "the repository's own imports",
        is_list=True,
    ),
    Option(
        "--celery-project-index",
        "project_index",
        "true (default): follow calls, results and task classes into the project's other "
        "modules; false: check each file on its own",
        is_bool=True,
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
        async_task_pool: bool | None = None,
        cache_dir: str | None = None,
        project_index: bool = True,
        source_roots: tuple[str, ...] = (),
        helper: str = "run_blocking",
        read_helper: str = "read_result",
    ) -> None:
        self.delay_name = delay_name
        self.apply_async_name = apply_async_name
        self.send_task_name = send_task_name
        self.ignore_receivers = ignore_receivers
        self.extra_dispatch = extra_dispatch
        self.async_task_pool = async_task_pool
        self.cache_dir = cache_dir
        self.project_index = project_index
        self.source_roots = source_roots
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
            if option.is_path:
                kwargs[option.field] = str(value).strip()
            elif option.is_bool:
                text = str(value).strip().lower()
                if text not in _TRUE + _FALSE:
                    raise ValueError(f"{option.flag}: {value!r} is not true or false")
                kwargs[option.field] = text in _TRUE
            elif option.is_list:
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

    def key(self) -> str:
        """What the findings depend on, for the cache (settings are never changed once made:
        the plugin and the CLI ask for it once per file)."""
        return self._key

    @cached_property
    def _key(self) -> str:
        fields = [o.field for o in OPTIONS if o.field != "cache_dir"] + ["helper", "read_helper"]
        return repr([(field, getattr(self, field)) for field in fields])

    @cached_property
    def extra_dispatch_bytes(self) -> tuple[bytes, ...]:
        return tuple(name.encode() for name in self.extra_dispatch)
