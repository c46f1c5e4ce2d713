"""`charter topic …` and `charter groups` against a real `charter serve` subprocess."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from broker.client import BrokerClient
from broker.config import TopicConfig
from broker.record import ProducerRecord
from cli.main import app
from tests.cli.conftest import Repo
from tests.cli.test_startup import _heavy
from tests.sdk.server import charter_serve, free_port, needs_registry

pytestmark = needs_registry


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with charter_serve(tmp_path_factory.mktemp("admin")) as url:
        yield url


def charter(url: str | None, *args: str, stdin: str | None = None) -> Run:
    """Run the CLI in-process; `url` goes in CHARTER_BROKER_URL (None: leave it empty)."""
    env = {"CHARTER_BROKER_URL": url or ""}
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback, where the CLI promises one line on stderr
    return Run(result.exit_code, result.stdout, result.stderr)


def one_error_line(run: Run, command: str) -> str:
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"charter {command}: error: "), lines[0]
    assert "Traceback" not in run.stderr
    return lines[0]


def table_rows(text: str, first: str | None = None) -> list[list[str]]:
    """The body rows of Rich tables in `text`, as stripped cells; only those starting `first`."""
    rows = [[c.strip() for c in line.split("│")] for line in text.splitlines() if "│" in line]
    return [r for r in rows if first is None or r[0] == first]


def unreachable_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


# ---------------------------------------------------------------------- topics


def test_topic_round_trip_in_json(server: str) -> None:
    created = charter(
        server,
        "topic", "create", "orders",
        "--partitions", "3",
        "--retention-ms", "60000",
        "--flush", "interval_ms",
        "--flush-interval-ms", "250",
        "--contract", "none",
        "--format", "json",
    ).json()  # fmt: skip
    assert created["name"] == "orders"
    assert created["config"]["partitions"] == 3
    assert created["config"]["retention_ms"] == 60000
    assert created["config"]["retention_bytes"] is None
    assert created["config"]["flush"] == "interval_ms"
    assert created["config"]["flush_interval_ms"] == 250
    assert [p["partition"] for p in created["partitions"]] == [0, 1, 2]

    listed = charter(server, "topic", "list", "--format", "json").json()
    assert "orders" in [t["name"] for t in listed]

    with BrokerClient(server) as client:
        client.produce("orders", [ProducerRecord(key=None, value=b"x")] * 4, partition=1)
    described = charter(server, "topic", "describe", "orders", "-f", "json").json()
    bounds = [(p["log_start_offset"], p["log_end_offset"]) for p in described["partitions"]]
    assert bounds == [(0, 0), (0, 4), (0, 0)]

    altered = charter(
        server, "topic", "alter", "orders", "--partitions", "4", "--retention-ms", "-1",
        "--format", "json",
    ).json()  # fmt: skip
    assert altered["config"]["partitions"] == 4
    assert altered["config"]["retention_ms"] is None
    assert len(altered["partitions"]) == 4

    assert charter(server, "topic", "delete", "orders", "--yes", "-f", "json").json() == {
        "deleted": "orders"
    }
    assert "orders" not in [
        t["name"] for t in charter(server, "topic", "list", "-f", "json").json()
    ]
    gone = charter(server, "topic", "describe", "orders", "-f", "json")
    assert gone.code == 1 and gone.stdout == ""
    assert one_error_line(gone, "topic describe").endswith("topic 'orders' does not exist")


def test_topic_round_trip_in_tables(server: str) -> None:
    created = charter(server, "topic", "create", "audit", "-p", "2", "--retention-bytes", "9000")
    assert created.code == 0, created.stderr
    assert "audit" in created.stdout and "2 partitions" in created.stdout

    with BrokerClient(server) as client:
        client.produce("audit", [ProducerRecord(key=None, value=b"y")] * 3, partition=0)
    listed = charter(server, "topic", "list")
    assert listed.code == 0
    [row] = table_rows(listed.stdout, "audit")
    assert row == ["audit", "2", "3", "none", "always", "9000 bytes"]

    described = charter(server, "topic", "describe", "audit")
    assert described.code == 0
    assert "log start" in described.stdout and "log end" in described.stdout
    partition_rows = [r[:4] for r in table_rows(described.stdout) if len(r) == 6]
    assert partition_rows == [["0", "0", "3", "3"], ["1", "0", "0", "0"]]
    assert ["retention_bytes", "9000"] in table_rows(described.stdout)

    declined = charter(server, "topic", "delete", "audit", stdin="n\n")
    assert declined.code == 1
    assert "audit" in [t["name"] for t in charter(server, "topic", "list", "-f", "json").json()]
    confirmed = charter(server, "topic", "delete", "audit", stdin="y\n")
    assert confirmed.code == 0 and "deleted topic 'audit'" in confirmed.stdout
    assert "audit" not in charter(server, "topic", "list").stdout


def test_duplicate_create_exits_1_with_the_brokers_message(server: str) -> None:
    assert charter(server, "topic", "create", "dup").code == 0
    again = charter(server, "topic", "create", "dup", "--partitions", "2")
    assert again.code == 1 and again.stdout == ""
    assert one_error_line(again, "topic create") == (
        "charter topic create: error: topic 'dup' already exists"
    )
    # the first topic is untouched
    assert len(charter(server, "topic", "describe", "dup", "-f", "json").json()["partitions"]) == 1


def test_settings_the_broker_refuses_exit_1(server: str) -> None:
    assert charter(server, "topic", "create", "grows", "-p", "2").code == 0
    shrink = charter(server, "topic", "alter", "grows", "--partitions", "1")
    assert shrink.code == 1
    assert "partitions only grow" in one_error_line(shrink, "topic alter")
    too_many = charter(server, "topic", "create", "huge", "--partitions", "100000")
    assert too_many.code == 1
    assert "partitions_max" in one_error_line(too_many, "topic create")
    assert charter(server, "topic", "delete", "nowhere", "--yes").code == 1


def test_usage_errors_exit_2_without_calling_the_broker() -> None:
    url = unreachable_url()
    assert charter(url, "topic", "create", "t", "--flush", "sometimes").code == 2
    assert charter(url, "topic", "create", "t", "--contract", "strict").code == 2
    assert charter(url, "topic", "list", "--format", "yaml").code == 2
    assert charter(url, "topic", "alter", "t").code == 2
    assert charter(url, "groups", "--format", "csv").code == 2


def test_an_unreachable_or_foreign_server_exits_2(server: str) -> None:
    url = unreachable_url()
    for args, command in [
        (("topic", "list"), "topic list"),
        (("topic", "create", "t"), "topic create"),
        (("groups",), "groups"),
    ]:
        run = charter(url, *args)
        assert run.code == 2, run.stderr
        assert f"cannot reach the broker at {url}" in one_error_line(run, command)
    kafka = charter(None, "topic", "list", "--broker", "kafka://127.0.0.1:9092")
    assert kafka.code == 2 and "not a Charter broker URL" in one_error_line(kafka, "topic list")
    no_broker = charter(None, "topic", "list", "--url", f"{server}/elsewhere")
    assert no_broker.code == 2 and "answered 404" in one_error_line(no_broker, "topic list")


def test_the_broker_option_beats_the_environment_and_takes_charter_urls(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    assert charter(unreachable_url(), "topic", "create", "via-option", "--broker",
                   f"charter://127.0.0.1:{port}").code == 0  # fmt: skip
    assert "via-option" in charter(server, "topic", "list").stdout


# ---------------------------------------------------------------------- groups


def test_groups_lag_after_producing_and_committing(server: str) -> None:
    with BrokerClient(server) as client:
        client.create_topic("payments", TopicConfig(partitions=2))
        client.produce("payments", [ProducerRecord(key=None, value=b"p")] * 5, partition=0)
        client.produce("payments", [ProducerRecord(key=None, value=b"p")] * 3, partition=1)
        joined = client.groups.join("billing", ["payments"], session_timeout_ms=120_000)
        member = joined.member_id
        assignment = client.groups.sync("billing", member)
        owned = set(assignment.partitions)
        assert owned == {("payments", 0), ("payments", 1)}
        client.groups.commit(
            "billing",
            {("payments", 0): 2, ("payments", 1): 3},
            member_id=member,
            generation=assignment.generation,
        )
        # a group with no members left, committed on partition 0 only
        client.groups.commit("audit-trail", {("payments", 0): 5})

    [billing] = charter(server, "groups", "billing", "--format", "json").json()
    assert billing["group"] == "billing"
    assert billing["members"] == [member]
    assert billing["lag"] == 3
    assert billing["partitions"] == [
        {
            "topic": "payments",
            "partition": 0,
            "committed": 2,
            "log_end_offset": 5,
            "lag": 3,
            "member": member,
        },
        {
            "topic": "payments",
            "partition": 1,
            "committed": 3,
            "log_end_offset": 3,
            "lag": 0,
            "member": member,
        },
    ]

    every = {g["group"]: g for g in charter(server, "groups", "-f", "json").json()}
    assert {"billing", "audit-trail"} <= set(every)
    trail = every["audit-trail"]
    assert trail["members"] == [] and trail["lag"] == 0
    assert [
        (p["partition"], p["committed"], p["lag"], p["member"]) for p in trail["partitions"]
    ] == [(0, 5, 0, None)]

    table = charter(server, "groups", "billing")
    assert table.code == 0
    rows = table_rows(table.stdout, "billing")
    assert [r[1:6] for r in rows] == [
        ["payments", "0", "2", "5", "3"],
        ["payments", "1", "3", "3", "0"],
    ]

    unknown = charter(server, "groups", "no-such-group")
    assert unknown.code == 1
    assert "'no-such-group' does not exist" in one_error_line(unknown, "groups")


# ---------------------------------------------------------------------- start-up cost


def test_topic_and_groups_do_not_import_the_web_stack(repo: Repo) -> None:
    url = unreachable_url()
    assert _heavy(repo, "topic", "--help") == (0, "")
    assert _heavy(repo, "groups", "--help") == (0, "")
    assert _heavy(repo, "topic", "list", "--broker", url) == (2, "")
    assert _heavy(repo, "groups", "--broker", url, "--format", "json") == (2, "")
