"""What the broker reports as it works, for whoever counts it (`charter serve`'s metrics).

The broker calls its `observer` from the thread doing the work, at one place per event, so
every path is counted once: the HTTP API, the Kafka listener and in-process callers alike.
Sizes are bytes of record batches as the log stores them (broker.record's format, header
included), whatever form the batch came or leaves in. Observers must be quick and never raise.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["BrokerObserver"]


class BrokerObserver(Protocol):
    def produced(self, topic: str, records: int, size_bytes: int) -> None:
        """`records` appended to `topic` as one batch of `size_bytes`."""

    def fetched(self, topic: str, records: int, size_bytes: int) -> None:
        """A fetch served `records` (at or after the asked offset) of `topic`, in whole
        batches of `size_bytes`."""

    def waiting(self, change: int) -> None:
        """+1 when a fetch starts waiting for records, -1 when it stops."""
