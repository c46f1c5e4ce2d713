"""The listener's own limits, in process: connections, idle time, request size, and a port
already taken is a clear start-up error."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker import Broker
from broker.kafka import KafkaListener, ListenerSettings, ListenerStartError
from tests.kafka.wire import Wire

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", maintenance_interval_ms=None) as b:
        yield b


def _listener(broker: Broker, **settings: int) -> KafkaListener:
    listener = KafkaListener(broker, ListenerSettings(port=0, **settings))  # type: ignore[arg-type]
    listener.start()
    return listener


def _versions(wire: Wire) -> int:
    answer = wire.call(
        "api_versions", 3, {"client_software_name": "t", "client_software_version": "1"}
    )
    return int(answer.error_code)


def test_connections_above_the_maximum_are_closed(broker: Broker) -> None:
    listener = _listener(broker, connections_max=2)
    try:
        address = f"127.0.0.1:{listener.port}"
        first, second = Wire(address), Wire(address)
        assert _versions(first) == 0 and _versions(second) == 0
        third = Wire(address)
        assert third.closed_by_broker()
        first.close()
        time.sleep(0.2)
        fourth = Wire(address)
        assert _versions(fourth) == 0
        for w in (second, third, fourth):
            w.close()
    finally:
        listener.stop()


def test_idle_connections_and_stalled_frames_are_closed(broker: Broker) -> None:
    listener = _listener(broker, idle_timeout_ms=300, frame_timeout_ms=300)
    try:
        address = f"127.0.0.1:{listener.port}"
        idle = Wire(address)
        assert _versions(idle) == 0
        assert idle.closed_by_broker()  # after 300 ms of silence
        stalled = Wire(address)
        stalled.sock.sendall(struct.pack(">i", 100) + b"\x00\x12")
        assert stalled.closed_by_broker()
    finally:
        listener.stop()


def test_requests_above_the_size_limit_close_the_connection(broker: Broker) -> None:
    listener = _listener(broker, request_bytes_max=1024)
    try:
        wire = Wire(f"127.0.0.1:{listener.port}")
        wire.sock.sendall(struct.pack(">i", 1025))
        assert wire.closed_by_broker()
        assert _versions(Wire(f"127.0.0.1:{listener.port}")) == 0
    finally:
        listener.stop()


def test_a_port_in_use_is_a_start_error(broker: Broker) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        listener = KafkaListener(broker, ListenerSettings(port=port))
        with pytest.raises(ListenerStartError, match=str(port)):
            listener.start()


def test_serve_ends_when_the_kafka_port_asked_for_is_taken(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["serve", "--data-dir", str(tmp_path), "--port", "1", "--kafka-port", str(port)]
        )
    assert result.exit_code == 1
    assert f"cannot listen for Kafka clients on 127.0.0.1:{port}" in result.output


def test_the_default_kafka_port_taken_costs_only_the_listener(
    broker: Broker, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.serve import DEFAULT_KAFKA_PORT, _start_kafka

    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:  # 9092 is taken either by this socket or by whoever holds it already
            holder.bind(("127.0.0.1", DEFAULT_KAFKA_PORT))
            holder.listen()
        except OSError:
            pass
        assert _start_kafka(broker, "127.0.0.1", None, None) is None
    assert "warning" in capsys.readouterr().err
