"""The broker's HTTP bodies, shared by the server (`broker.http`) and `broker.client`.

Kept free of fastapi so a client process loads only httpx and the record format. The
layouts are described in `broker.http`'s docstring.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from broker.errors import CorruptBatchError
from broker.record import BATCH_PREFIX, ConsumedRecord, ProducerRecord, decode_batch, encode_batch

__all__ = [
    "BATCH_MEDIA_TYPE",
    "FETCH_MEDIA_TYPE",
    "FETCH_PARTITION",
    "FETCH_TOPIC",
    "LOG_END_HEADER",
    "LOG_START_HEADER",
    "FetchedPartition",
    "decode_fetch_body",
    "decode_fetch_many_body",
    "encode_produce_body",
]

BATCH_MEDIA_TYPE = "application/vnd.charter.batch"
FETCH_MEDIA_TYPE = "application/vnd.charter.fetch"
FETCH_TOPIC = struct.Struct(">H")
FETCH_PARTITION = struct.Struct(">IqqI")  # partition, log start, log end, batch length
LOG_START_HEADER = "Charter-Log-Start-Offset"
LOG_END_HEADER = "Charter-Log-End-Offset"


def encode_produce_body(records: list[ProducerRecord], *, default_timestamp_ms: int = -1) -> bytes:
    """A produce request body for `records`.

    Records without a timestamp get `default_timestamp_ms`; the default, -1, asks the broker
    to stamp them on append (which costs it a decode and re-encode of the batch).
    """
    stamps = [default_timestamp_ms if r.timestamp_ms is None else r.timestamp_ms for r in records]
    return encode_batch(0, records, stamps)


def decode_fetch_body(
    body: bytes, topic: str, partition: int, *, offset: int = 0, records_max: int | None = None
) -> list[ConsumedRecord]:
    """The records at or after `offset` in a fetch answer (at most `records_max`), verified."""
    out: list[ConsumedRecord] = []
    pos = 0
    while pos < len(body):
        if len(body) - pos < BATCH_PREFIX.size:
            raise CorruptBatchError("response body", "a batch is cut short")
        (length,) = struct.unpack_from(">I", body, pos)
        end = pos + 4 + length
        if end > len(body):
            raise CorruptBatchError("response body", "a batch runs past the end of the body")
        _, records = decode_batch(
            body[pos:end], topic, partition, "response body", length_max=end - pos
        )
        out.extend(r for r in records if r.offset >= offset)
        pos = end
    return out if records_max is None else out[:records_max]


@dataclass(frozen=True, slots=True)
class FetchedPartition:
    topic: str
    partition: int
    log_start_offset: int
    log_end_offset: int
    records: list[ConsumedRecord]


def decode_fetch_many_body(
    body: bytes, positions: Mapping[tuple[str, int], int] | None = None
) -> list[FetchedPartition]:
    """The partitions of a `POST /broker/fetch` answer, every batch checksum verified.

    With the `positions` that were asked for, records before them are dropped.
    """
    out: list[FetchedPartition] = []
    pos = 0
    try:
        while pos < len(body):
            (topic_length,) = FETCH_TOPIC.unpack_from(body, pos)
            pos += FETCH_TOPIC.size
            topic = body[pos : pos + topic_length].decode()
            pos += topic_length
            partition, start, end, length = FETCH_PARTITION.unpack_from(body, pos)
            pos += FETCH_PARTITION.size
            batch = body[pos : pos + length]
            pos += length
            skip = 0 if positions is None else positions.get((topic, partition), 0)
            records = decode_fetch_body(batch, topic, partition, offset=skip)
            out.append(FetchedPartition(topic, partition, start, end, records))
    except (struct.error, UnicodeDecodeError) as exc:
        raise CorruptBatchError("fetch body", str(exc)) from None
    if pos != len(body):
        raise CorruptBatchError("fetch body", "a frame runs past the end of the body")
    return out
