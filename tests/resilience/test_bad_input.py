"""Bad input against a real `charter serve`: a 4xx with a code, never a 500, nothing stored;
group deletion from the CLI; data files private to the server's user."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from broker.client import BrokerClient
from broker.config import TopicConfig
from broker.record import ProducerRecord
from tests.resilience.server import Served, serve


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("bad")) as s:
        with BrokerClient(s.url) as client:
            client.create_topic("t", TopicConfig(partitions=2))
            client.produce("t", [ProducerRecord(b"v") for _ in range(3)], partition=0)
        yield s


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/schemas/ids/" + "9" * 5000 + "/schema", None, 404, 40403),
        ("GET", "/schemas/ids/" + "9" * 5000, None, 404, 40403),
        ("GET", "/subjects/%ff%fe/versions", None, 400, 40003),
        ("GET", "/config/%C3%28", None, 400, 40003),
        ("POST", "/broker/groups/%ff/offsets", {"offsets": []}, 400, 40003),
        ("POST", "/broker/groups/a%00b/offsets", {"offsets": []}, 422, 42202),
        (
            "POST",
            "/broker/groups/g/offsets",
            {"offsets": [{"topic": "t", "partition": 2**40, "offset": 0}]},
            404,
            40402,
        ),
        (
            "POST",
            "/broker/groups/g/offsets",
            {"offsets": [{"topic": "t", "partition": 0, "offset": 2**70}]},
            416,
            41601,
        ),
        (
            "POST",
            "/broker/groups/g/offsets",
            {"offsets": [{"topic": "t", "partition": 1, "offset": 1}]},
            416,
            41601,
        ),
        ("DELETE", "/broker/groups/nobody", None, 404, 40404),
    ],
)
def test_bad_input_is_a_4xx_with_a_code(
    served: Served, method: str, path: str, body: object, status: int, code: int
) -> None:
    r = httpx.request(method, served.url + path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["error_code"] == code
    assert "Traceback" not in r.text and "TypeError" not in r.text
    assert httpx.get(f"{served.url}/broker/groups").json() == []
    assert httpx.get(f"{served.url}/subjects").json() == []


def test_an_encoded_slash_in_a_group_name_is_not_stored(served: Served) -> None:
    r = httpx.post(f"{served.url}/broker/groups/a%2Fb/offsets", json={"offsets": []})
    assert r.status_code == 404
    assert httpx.get(f"{served.url}/broker/groups").json() == []


def _charter(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "groups", *args, "--broker", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_charter_groups_delete(served: Served) -> None:
    with BrokerClient(served.url) as client:
        client.groups.commit("doomed", {("t", 0): 2})
        member = client.groups.join("busy", ["t"])
    done = _charter(served.url, "delete", "doomed")
    assert done.returncode == 0, done.stderr
    assert "doomed" in done.stdout
    assert httpx.get(f"{served.url}/broker/groups").json() == ["busy"]
    missing = _charter(served.url, "delete", "doomed")
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr
    busy = _charter(served.url, "delete", "busy")
    assert busy.returncode == 1
    assert "members" in busy.stderr
    with BrokerClient(served.url) as client:
        client.groups.leave("busy", member.member_id)
        client.groups.delete("busy")


def test_data_files_are_0600_and_directories_0700(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with serve(data) as s, BrokerClient(s.url) as client:
        client.create_topic("t")
        client.produce("t", [ProducerRecord(b"v")])
        client.groups.commit("g", {("t", 0): 1})
        httpx.post(
            f"{s.url}/subjects/s/versions",
            json={"schema": '"string"'},
            headers={"content-type": "application/vnd.schemaregistry.v1+json"},
        ).raise_for_status()
    seen = {"registry.db": False, "groups": False, "log": False}
    for path in [data, *data.rglob("*")]:
        if path.name == "serve.log":  # written by the test's own spawner
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
        seen["registry.db"] |= path.name == "registry.db"
        seen["groups"] |= path.parent.name == "groups"
        seen["log"] |= path.suffix == ".log"
    assert all(seen.values()), seen
