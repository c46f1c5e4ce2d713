"""The in-process transports hand the broker's records over field by field, by position."""

from __future__ import annotations

from broker.record import ConsumedRecord
from sdk.transports.base import RawRecord


def test_raw_records_have_the_consumed_records_fields_in_order() -> None:
    assert RawRecord._fields == ConsumedRecord._fields
    consumed = ConsumedRecord("t", 2, 7, 1_700_000_000_000, b"k", b"v", (("h", b"1"),))
    raw = RawRecord._make(consumed)
    assert (raw.topic, raw.partition, raw.offset, raw.timestamp_ms) == (
        "t",
        2,
        7,
        1_700_000_000_000,
    )
    assert (raw.key, raw.value, raw.headers) == (b"k", b"v", (("h", b"1"),))
