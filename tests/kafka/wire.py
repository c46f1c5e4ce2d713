"""A bare Kafka-protocol connection for tests: kio-encoded requests, raw frames, raw replies."""

from __future__ import annotations

import io
import socket
import struct
from typing import Any

from kio.serial import entity_reader, entity_writer

from broker.kafka.messages import build, request_class, response_class
from broker.kafka.records import encode_batch
from broker.record import ConsumedRecord

API_KEYS = {
    "produce": 0,
    "fetch": 1,
    "list_offsets": 2,
    "metadata": 3,
    "create_topics": 19,
    "api_versions": 18,
    "find_coordinator": 10,
    "join_group": 11,
    "sasl_handshake": 17,
    "sasl_authenticate": 36,
    "init_producer_id": 22,
}


class Wire:
    def __init__(self, bootstrap: str, timeout_s: float = 10.0) -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout_s)
        self.correlation = 0

    def close(self) -> None:
        self.sock.close()

    def send_frame(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def frame(self, name: str, version: int, body: dict[str, Any]) -> bytes:
        """The request's bytes (no size prefix)."""
        cls = request_class(name, version)
        header_cls = cls.__header_schema__
        self.correlation += 1
        buf = io.BytesIO()
        entity_writer(header_cls)(
            buf,
            header_cls(
                request_api_key=API_KEYS[name],
                request_api_version=version,
                correlation_id=self.correlation,
                client_id="wire-test",
            ),
        )
        entity_writer(cls)(buf, build(cls, body))
        return buf.getvalue()

    def read_frame(self) -> bytes | None:
        """The next response frame, or None when the broker closed the connection."""
        head = self._read(4)
        if head is None:
            return None
        (size,) = struct.unpack(">i", head)
        return self._read(size)

    def _read(self, n: int) -> bytes | None:
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            out += chunk
        return out

    def call(self, name: str, version: int, body: dict[str, Any]) -> Any:
        self.send_frame(self.frame(name, version, body))
        raw = self.read_frame()
        assert raw is not None, f"{name} v{version}: the broker closed the connection"
        return parse_response(name, version, raw, self.correlation)

    def closed_by_broker(self) -> bool:
        return self.read_frame() is None


def parse_response(name: str, version: int, raw: bytes, correlation: int) -> Any:
    cls = response_class(name, version)
    header, used = entity_reader(cls.__header_schema__)(raw, 0)
    assert header.correlation_id == correlation
    body, size = entity_reader(cls)(raw, used)
    assert used + size == len(raw)
    return body


def batch(values: list[bytes | None], *, timestamp_ms: int = 1_790_000_000_000) -> bytes:
    records = [ConsumedRecord("t", 0, i, timestamp_ms + i, None, v) for i, v in enumerate(values)]
    return encode_batch(records)


def produce_body(topic: str, partition: int, records: bytes, acks: int = -1) -> dict[str, Any]:
    return {
        "transactional_id": None,
        "acks": acks,
        "timeout": 5000,
        "topic_data": [
            {"name": topic, "partition_data": [{"index": partition, "records": records}]}
        ],
    }
