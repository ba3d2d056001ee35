"""The index build's two-core split gives what one process gives, whatever the child does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flake8_celery_async.project import fork, scan
from flake8_celery_async.project.indexer import build_index
from flake8_celery_async.settings import Settings


def test_both_cores_gives_the_serial_answer() -> None:
    items = [f"m{i}.py" for i in range(64)]
    pids: set[int] = set()

    def work(item: str) -> tuple[str, int]:
        pids.add(os.getpid())  # only this process's calls are seen here
        return item.upper(), len(item)

    got = fork.both_cores(items, work, lambda item: fork.MIN_BYTES)
    assert got == {item: work(item) for item in items}
    assert list(got) != [] and set(got) == set(items)
    if fork.cores() >= 2:  # the child did half: this process saw only its own pid
        assert pids == {os.getpid()}


def test_a_child_that_cannot_send_its_half_is_made_up_for() -> None:
    """A summary that is not plain data cannot cross the pipe: the child fails, and this
    process computes the child's half itself."""
    items = [f"m{i}.py" for i in range(64)]
    calls: list[str] = []

    class Opaque:  # marshal cannot send it
        def __init__(self, item: str) -> None:
            self.item = item

    def work(item: str) -> Opaque:
        calls.append(item)
        return Opaque(item)

    got = fork.both_cores(items, work, lambda item: fork.MIN_BYTES)
    assert {item: made.item for item, made in got.items()} == {item: item for item in items}
    assert sorted(calls) == sorted(items)  # every item here: half first, the rest after


def test_small_rounds_stay_in_this_process() -> None:
    items = [f"m{i}.py" for i in range(64)]
    seen: list[str] = []
    small = fork.MIN_BYTES // len(items) - 1
    got = fork.both_cores(items, lambda item: seen.append(item) or item, lambda item: small)
    assert got == {i: i for i in items}
    assert seen == items  # every one here, in order


def test_the_text_pass_split_over_two_cores_gives_the_same_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big tree's files are read half in a forked child (``scan``): the index it builds is
    the one a single process builds, round for round (the later rounds read on what the
    child only hashed and searched)."""
    from test_index_follow import CHAIN, _project

    root = _project(tmp_path, {**CHAIN, "proj/worker.py": "import celery\n", "x/y.py": "import"})

    def built() -> tuple[object, ...]:
        index = build_index(str(root), Settings(cache_dir="off"))
        return dict(index.modules), index.shas, index.async_pool, index.aliases

    serial = built()
    monkeypatch.setattr(scan, "MIN_BYTES", 0)
    split = built()
    assert split == serial
    assert "proj/signup.py" in {summary["p"] for summary in split[0].values()}  # type: ignore[attr-defined]
