"""`charter produce`, `consume` and `replay` against a real registry and the built-in broker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from sdk import Event, Producer, Registry
from sdk.wire import frame
from tests.flow.conftest import order


@pytest.fixture
def cli(registry_url: str, tmp_path: Path) -> Any:
    broker = (tmp_path / "log").as_uri()

    def run(*args: str, stdin: str | None = None) -> Any:
        env = {"CHARTER_REGISTRY_URL": registry_url, "CHARTER_BROKER_URL": broker}
        return CliRunner().invoke(app, list(args), input=stdin, env=env)

    run.broker = broker  # type: ignore[attr-defined]
    return run


@pytest.fixture
def json_topic(registry: Registry, topic: str, order_schema: dict[str, Any]) -> str:
    registry.register(f"{topic}-value", json.dumps(order_schema), "JSON")
    return topic


def lines(*events: Any) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def good(n: int) -> dict[str, Any]:
    return Event("order.placed", "/services/orders", order(n)).to_dict()


def test_produce_sends_nothing_when_a_line_is_invalid_and_names_it(
    cli: Any, json_topic: str
) -> None:
    bad = good(2)
    bad["data"]["items"][0]["quantity"] = "two"
    result = cli("produce", json_topic, stdin=lines(good(1), bad, good(3)) + "{not json\n")
    assert result.exit_code == 1
    assert "line(s) 2, 4; nothing was sent" in result.stderr
    assert "line 2: /data/items/0/quantity" in result.stderr
    replayed = cli("replay", json_topic, "--format", "json")  # not even the topic was made
    assert replayed.exit_code == 2
    assert "does not exist" in replayed.stderr


def test_produce_consume_and_replay_round_trip(
    cli: Any, json_topic: str, registry: Registry
) -> None:
    events = [good(n) for n in range(4)]
    sent = cli("produce", json_topic, "--key-field", "/data/customerId", stdin=lines(*events))
    assert sent.exit_code == 0, sent.output
    assert "sent 4 event(s)" in sent.stdout

    read = cli(
        "consume",
        json_topic,
        "--group",
        "cli",
        "--from-beginning",
        "--max",
        "3",
        "--format",
        "json",
    )
    assert read.exit_code == 0, read.output
    got = [json.loads(line) for line in read.stdout.splitlines()]
    assert [m["value"]["eventId"] for m in got] == [e["eventId"] for e in events[:3]]
    assert got[0]["key"] == events[0]["data"]["customerId"]
    # the group committed the three it printed: the next run starts at the fourth
    rest = cli(
        "consume",
        json_topic,
        "--group",
        "cli",
        "--max",
        "5",
        "--idle-timeout",
        "1",
        "--format",
        "json",
    )
    assert [json.loads(x)["offset"] for x in rest.stdout.splitlines()] == [3]
    table = cli("consume", json_topic, "--from-beginning", "--max", "4")
    assert table.exit_code == 0 and "ord-3" in table.stdout

    with Producer(cli.broker, registry=registry) as producer:
        producer.publish_bytes(json_topic, b"\x07junk")
        producer.publish_bytes(json_topic, frame(2**31 - 9, b"{}"))
    replayed = cli("replay", json_topic, "--format", "json", "--validate")
    assert replayed.exit_code == 1
    report = json.loads(replayed.stdout)
    assert report["records"] == 6
    assert [(v["version"], v["count"]) for v in report["versions"]] == [(1, 4)]
    assert [(v["offset"], v["error"]) for v in report["violations"]] == [
        (4, "WireFormatError"),
        (5, "SchemaNotFoundError"),
    ]
    later = cli("replay", json_topic, "--from-offset", "2", "--format", "json")
    assert json.loads(later.stdout)["records"] == 4
    text = cli("replay", json_topic)
    assert text.exit_code == 1
    assert "2 contract violation(s)" in text.stdout and "offset 4: WireFormatError" in text.stdout


def test_replay_from_a_time_after_everything_reads_nothing(cli: Any, json_topic: str) -> None:
    assert cli("produce", json_topic, stdin=lines(good(1))).exit_code == 0
    result = cli("replay", json_topic, "--from-time", "2999-01-01T00:00:00Z", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["records"] == 0


def test_replay_of_an_unknown_topic_is_an_error(cli: Any) -> None:
    result = cli("replay", "no-such-topic")
    assert result.exit_code == 2
    assert "charter replay: error:" in result.stderr


def test_produce_takes_json_lines_for_an_avro_subject(
    cli: Any, registry: Registry, topic: str
) -> None:
    from tests.flow.conftest import load_schema

    registry.register(f"{topic}-value", json.dumps(load_schema("examples/order.placed.avsc")))
    event = good(1)  # decimals as strings, placedAt in RFC 3339: the JSON a person writes
    bad = good(2)
    bad["data"]["total"] = "twelve"
    assert cli("produce", topic, stdin=lines(event, bad)).exit_code == 1
    sent = cli("produce", topic, "--key-field", "data.customerId", stdin=lines(event))
    assert sent.exit_code == 0, sent.output
    read = cli("consume", topic, "--from-beginning", "--max", "1", "--format", "json")
    value = json.loads(read.stdout)["value"]
    assert value["data"]["total"] == event["data"]["total"]
    assert value["data"]["placedAt"].startswith("2026-11-26T20:15:03")


def test_produce_converts_the_types_of_referenced_avro_schemas(
    cli: Any, registry: Registry, topic: str
) -> None:
    from sdk import SchemaReference

    money = {
        "type": "record",
        "name": "Money",
        "namespace": "shop",
        "fields": [
            {"name": "amount",
             "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    }
    order_schema = {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [{"name": "total", "type": ["null", "shop.Money"]}],
    }
    registry.register(f"{topic}-money", json.dumps(money))
    registry.register(f"{topic}-value", json.dumps(order_schema),
                      references=[SchemaReference("shop.Money", f"{topic}-money", 1)])
    event = {"total": {"shop.Money": {"amount": "12.50", "at": "2026-11-26T20:15:03Z"}}}
    sent = cli("produce", topic, stdin=lines(event))
    assert sent.exit_code == 0, sent.output  # unconverted, "12.50" is no decimal's bytes
    read = cli("consume", topic, "--from-beginning", "--max", "1", "--format", "json")
    total = json.loads(read.stdout)["value"]["total"]
    assert total["amount"] == "12.50"
    assert total["at"].startswith("2026-11-26T20:15:03")
