"""The broker's HTTP bodies, shared by the server (`broker.http`) and `broker.client`.

Binary record bodies and the JSON forms of broker.api's values, both ways. Kept free of
fastapi so a client process loads only httpx and the record format. The layouts are
described in `broker.http`'s docstring.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from broker.api import (
    Assignment,
    FetchedRecords,
    GroupDescription,
    MemberDescription,
    PartitionDescription,
    PartitionLag,
    TopicDescription,
    TopicPartition,
)
from broker.config import TopicConfig
from broker.errors import CorruptBatchError
from broker.record import BATCH_PREFIX, ConsumedRecord, ProducerRecord, decode_batch, encode_batch

__all__ = [
    "BATCH_MEDIA_TYPE",
    "FETCH_MEDIA_TYPE",
    "FETCH_PARTITION",
    "FETCH_TOPIC",
    "LOG_END_HEADER",
    "LOG_START_HEADER",
    "assignment_from_json",
    "assignment_to_json",
    "decode_fetch_body",
    "decode_fetch_many_body",
    "encode_produce_body",
    "group_from_json",
    "group_to_json",
    "lag_from_json",
    "lag_to_json",
    "topic_from_json",
    "topic_to_json",
]

BATCH_MEDIA_TYPE = "application/vnd.charter.batch"
FETCH_MEDIA_TYPE = "application/vnd.charter.fetch"
FETCH_TOPIC = struct.Struct(">H")
FETCH_PARTITION = struct.Struct(">IqqI")  # partition, log start, log end, batch length
LOG_START_HEADER = "Charter-Log-Start-Offset"
LOG_END_HEADER = "Charter-Log-End-Offset"


def encode_produce_body(
    records: Sequence[ProducerRecord], *, default_timestamp_ms: int = -1
) -> bytes:
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


def decode_fetch_many_body(
    body: bytes,
    positions: Mapping[TopicPartition, int] | None = None,
    *,
    records_max: int | None = None,
) -> dict[TopicPartition, FetchedRecords]:
    """The partitions of a `POST /broker/fetch` answer, in order, every batch checksum verified.

    With the `positions` that were asked for, records before them are dropped; with
    `records_max`, the records after the first `records_max` of the whole answer, as the
    in-process `Broker.fetch_many` does.
    """
    out: dict[TopicPartition, FetchedRecords] = {}
    left = records_max
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
            records = decode_fetch_body(batch, topic, partition, offset=skip, records_max=left)
            if left is not None:
                left = max(0, left - len(records))
            out[(topic, partition)] = FetchedRecords(records, start, end, length)
    except (struct.error, UnicodeDecodeError) as exc:
        raise CorruptBatchError("fetch body", str(exc)) from None
    if pos != len(body):
        raise CorruptBatchError("fetch body", "a frame runs past the end of the body")
    return out


# ---------------------------------------------------------------------- JSON bodies


def topic_to_json(d: TopicDescription) -> dict[str, Any]:
    return {
        "name": d.name,
        "config": d.config.to_json(),
        "partitions": [asdict(p) for p in d.partitions],
    }


def topic_from_json(data: Mapping[str, Any]) -> TopicDescription:
    return TopicDescription(
        data["name"],
        TopicConfig.from_json(dict(data["config"])),
        tuple(PartitionDescription(**p) for p in data["partitions"]),
    )


def _partitions_json(partitions: tuple[TopicPartition, ...]) -> list[dict[str, Any]]:
    return [{"topic": t, "partition": p} for t, p in partitions]


def _partitions(data: list[Mapping[str, Any]]) -> tuple[TopicPartition, ...]:
    return tuple((p["topic"], p["partition"]) for p in data)


def assignment_to_json(a: Assignment) -> dict[str, Any]:
    return {
        "group": a.group,
        "member_id": a.member_id,
        "generation": a.generation,
        "partitions": _partitions_json(a.partitions),
    }


def assignment_from_json(data: Mapping[str, Any]) -> Assignment:
    return Assignment(
        data["group"], data["member_id"], data["generation"], _partitions(data["partitions"])
    )


def group_to_json(d: GroupDescription) -> dict[str, Any]:
    return {
        "group": d.group,
        "generation": d.generation,
        "assignor": d.assignor,
        "members": [
            {
                "member_id": m.member_id,
                "topics": list(m.topics),
                "partitions": _partitions_json(m.partitions),
            }
            for m in d.members
        ],
        "committed": [
            {"topic": t, "partition": p, "offset": o} for (t, p), o in sorted(d.committed.items())
        ],
    }


def group_from_json(data: Mapping[str, Any]) -> GroupDescription:
    members = tuple(
        MemberDescription(m["member_id"], tuple(m["topics"]), _partitions(m["partitions"]))
        for m in data["members"]
    )
    committed = {(c["topic"], c["partition"]): c["offset"] for c in data["committed"]}
    return GroupDescription(data["group"], data["generation"], data["assignor"], members, committed)


def lag_to_json(rows: list[PartitionLag]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def lag_from_json(data: list[Mapping[str, Any]]) -> list[PartitionLag]:
    return [PartitionLag(**row) for row in data]
