"""`charter topic`, `charter groups` and `charter replay` against `charter serve --auth required`:
they send CHARTER_AUTH_KEY/CHARTER_AUTH_SECRET, answer a missing or refused credential with a
clear line and an exit code, and never print the secret."""

from __future__ import annotations

import io
import json
import struct

import fastavro
import pytest

from broker.record import ProducerRecord
from broker.wire import BATCH_MEDIA_TYPE, encode_produce_body
from tests.security.conftest import Server, charter

SCHEMA = {"type": "record", "name": "CliEvent", "fields": [{"name": "a", "type": "string"}]}


def framed(schema_id: int, value: dict[str, str]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(SCHEMA), value)
    return b"\x00" + struct.pack(">I", schema_id) + out.getvalue()


def test_topic_groups_and_replay_send_the_environment_credentials(server: Server) -> None:
    if server.backend != "sqlite":
        pytest.skip("the commands' side does not depend on the store: run once")
    key, secret = server.credentials["writer"]
    env = {"CHARTER_AUTH_KEY": key, "CHARTER_AUTH_SECRET": secret,
           "CHARTER_BROKER_URL": server.base_url, "CHARTER_REGISTRY_URL": server.base_url}
    topic, group = "team-a.cli-admin", "team-a.cli-admin-readers"
    runs = []

    created = charter("topic", "create", topic, "--format", "json", env=env)
    runs.append(created)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["name"] == topic

    with server.client("admin") as admin:
        admin.post("/broker/topics", json={"name": "team-b.cli-admin-hidden"})
        r = admin.post(f"/subjects/{topic}-value/versions", json={"schema": json.dumps(SCHEMA)})
        assert r.status_code == 200, r.text
        body = encode_produce_body([ProducerRecord(framed(r.json()["id"], {"a": "one"}))],
                                   default_timestamp_ms=1)
        r = admin.post(f"/broker/topics/{topic}/records", content=body,
                       headers={"content-type": BATCH_MEDIA_TYPE})
        assert r.status_code == 200, r.text
        r = admin.post(f"/broker/groups/{group}/offsets",
                       json={"offsets": [{"topic": topic, "partition": 0, "offset": 0}]})
        assert r.status_code == 204, r.text

    listed = charter("topic", "list", "--format", "json", env=env)
    runs.append(listed)
    assert listed.returncode == 0, listed.stderr
    names = [t["name"] for t in json.loads(listed.stdout)]
    assert topic in names and "team-b.cli-admin-hidden" not in names  # the key's prefix

    lag = charter("groups", group, "--format", "json", env=env)
    runs.append(lag)
    assert lag.returncode == 0, lag.stderr
    assert json.loads(lag.stdout)[0]["lag"] == 1

    over_charter = server.base_url.replace("http", "charter")
    replayed = charter("replay", topic, "--format", "json",
                       env={**env, "CHARTER_BROKER_URL": over_charter})
    runs.append(replayed)
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["records"] == 1

    # Deleting a topic is an admin's: the writer's key is refused (403, exit 1).
    refused = charter("topic", "delete", topic, "--yes", env=env)
    runs.append(refused)
    assert refused.returncode == 1, refused.stderr
    assert "403" in refused.stderr and "role or prefixes" in refused.stderr

    anonymous = charter("groups", env={"CHARTER_BROKER_URL": server.base_url})
    assert anonymous.returncode == 2
    assert "401" in anonymous.stderr and "CHARTER_AUTH_KEY" in anonymous.stderr

    half = charter("topic", "list", env={"CHARTER_BROKER_URL": server.base_url,
                                         "CHARTER_AUTH_KEY": key})
    assert half.returncode == 2 and "CHARTER_AUTH_SECRET" in half.stderr
    for done in runs:
        assert secret not in done.stdout + done.stderr
