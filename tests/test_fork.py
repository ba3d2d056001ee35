"""The index build's two-core split gives what one process gives, whatever the child does."""

from __future__ import annotations

import os

from flake8_celery_async.project import fork


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
