"""RabbitMQ publisher confirms for a batch of publishes on one channel.

Pipelined (:class:`PipelinedConfirms`: one write, acks awaited together)
where the installed py-amqp is one whose internals are known; otherwise
:class:`OneAtATime`, kombu's public ``confirm_publish``: each publish
waits for its own ack.
"""

from __future__ import annotations

from typing import Any

from ._internals import PipelinedConfirms, pipelining_supported
from .errors import NACKED, BrokerUnavailable, Outcome, nacked

__all__ = ["OneAtATime", "PipelinedConfirms", "pipelined"]


def pipelined() -> bool:
    """Whether batches are confirmed pipelined (else one at a time: the
    publishing connection must then be opened with ``confirm_publish``)."""
    return pipelining_supported()


class OneAtATime:
    """The public API's confirms: the connection was opened with
    ``confirm_publish``, so each publish returned after its ack (or raised
    py-amqp's ``MessageNacked``, which kombu may wrap). Nothing to wait for
    at the end."""

    sent = 0  # no delivery tags: every publish is settled when it returns

    def __init__(self, channel: Any = None) -> None:
        self.written = False

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None

    def wait(
        self,
        timeout: float,
        tags: list[int],
        outcomes: list[Outcome],
        error: BaseException | None,
    ) -> BaseException | None:
        """Turn a nack into :class:`BrokerUnavailable`; note whether any
        message reached the broker (a batch is then not sent again)."""
        for n, (result, failure) in enumerate(outcomes):
            if failure is None or nacked(failure):
                self.written = True
            if nacked(failure):
                outcomes[n] = (result, BrokerUnavailable(NACKED))
        return error
