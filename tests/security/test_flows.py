"""`charter serve --auth required` as clients meet it: listings, browsers, OIDC tokens, the
real confluent-kafka client, the SDK and CLI, revocation, the audit trail, and no secret in
clear anywhere on disk or in the log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from joserfc.jwk import RSAKey

from tests.security.conftest import Server, Signer, charter

RECORD = '{"type":"record","name":"%s","fields":[{"name":"a","type":"string"}]}'


def record(name: str) -> str:
    return RECORD.replace("%s", name)


def test_listings_show_only_what_the_key_may_see(server: Server) -> None:
    with server.client("admin") as admin:
        for subject in ("team-a.list-1", "team-a.list-2", "team-b.list-1"):
            r = admin.post(f"/subjects/{subject}/versions", json={"schema": record("L")})
            assert r.status_code == 200, r.text
        for name in ("team-a.list-t", "team-b.list-t"):
            assert admin.post("/broker/topics", json={"name": name}).status_code == 201
        every = admin.get("/subjects").json()
        assert {"team-a.list-1", "team-b.list-1"} <= set(every)
    with server.client("writer") as writer:
        subjects = writer.get("/subjects").json()
        assert "team-a.list-1" in subjects and "team-a.list-2" in subjects
        assert all(s.startswith("team-a.") for s in subjects)
        # paging applies to what the key sees, not to the whole registry
        visible = [s for s in subjects]
        assert writer.get("/subjects", params={"offset": 1, "limit": 1}).json() == visible[1:2]
        topics = writer.get("/broker/topics").json()
        assert "team-a.list-t" in topics and all(t.startswith("team-a.") for t in topics)
        schemas = writer.get("/schemas").json()
        assert schemas and all(s["subject"].startswith("team-a.") for s in schemas)
        # one schema under both teams: its id is readable, its listings hold only team-a
        schema_id = admin_id = writer.get("/subjects/team-a.list-1/versions/1").json()["id"]
        assert writer.get(f"/schemas/ids/{schema_id}").status_code == 200
        assert writer.get(f"/schemas/ids/{admin_id}/subjects").json() == [
            "team-a.list-1", "team-a.list-2"
        ]
        versions = writer.get(f"/schemas/ids/{schema_id}/versions").json()
        assert {v["subject"] for v in versions} == {"team-a.list-1", "team-a.list-2"}
        assert writer.get("/schemas/ids/999999").status_code == 404


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None,
])
def test_a_cross_site_simple_post_changes_nothing(server: Server, content_type: str | None
                                                  ) -> None:
    subject = f"team-a.csrf-{(content_type or 'none').split('/')[-1].split(';')[0]}"
    headers = {"origin": "https://evil.example"}
    if content_type:
        headers["content-type"] = content_type
    body = json.dumps({"schema": record("C")}).encode()
    with server.client("admin") as admin:  # a browser holding the admin's Basic credentials
        r = admin.post(f"/subjects/{subject}/versions", content=body, headers=headers)
        assert r.status_code == 415, r.text
        assert r.json()["error_code"] == 41501
        assert "access-control-allow-origin" not in r.headers
        assert admin.get(f"/subjects/{subject}/versions").status_code == 404
        r = admin.put("/config", content=b'{"compatibility":"NONE"}', headers=headers)
        assert r.status_code == 415
        assert admin.get("/config").json()["compatibilityLevel"] != "NONE"
        topic = subject.replace("csrf", "csrf-t")
        assert admin.post("/broker/topics", json={"name": topic}).status_code == 201
        r = admin.post(f"/broker/topics/{topic}/records", content=b"x" * 64, headers=headers)
        assert r.status_code == 415
        offsets = admin.get(f"/broker/topics/{topic}/partitions/0/offsets").json()
        assert offsets["log_end_offset"] == 0


def test_no_cors_headers_without_an_allow_list(server: Server) -> None:
    r = httpx.options(
        f"{server.base_url}/subjects",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers


def test_bearer_tokens_carry_role_and_prefixes(server: Server, signer: Signer) -> None:
    token = signer.token({"charter_subject_prefixes": ["team-a."], "sub": "ci-token"})

    def call(tok: str, subject: str) -> httpx.Response:
        return httpx.post(
            f"{server.base_url}/subjects/{subject}/versions",
            json={"schema": record("T")},
            headers={"authorization": f"Bearer {tok}"},
            timeout=30,
        )

    assert call(token, "team-a.oidc").status_code == 200
    assert call(token, "team-b.oidc").status_code == 403
    reader = signer.token({"charter_role": "reader"})
    assert call(reader, "team-a.oidc-r").status_code == 403
    now = int(time.time())
    other = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    refused = {
        "expired": signer.token(exp=now - 3600, iat=now - 7200),
        "audience": signer.token(aud="someone-else"),
        "issuer": signer.token(iss="https://other.test"),
        "no role": signer.token(charter_role=None),
        "foreign key": signer.token(key=other),
        "garbage": "not.a.jwt",
    }
    for why, bad in refused.items():
        r = call(bad, "team-a.oidc-bad")
        assert r.status_code == 401, (why, r.text)
        assert r.json()["error_code"] == 40101
    with server.client("admin") as admin:
        assert admin.get("/subjects/team-a.oidc-bad/versions").status_code == 404


def test_confluent_client_with_basic_auth_and_a_bearer_token(server: Server,
                                                             signer: Signer) -> None:
    key, secret = server.credentials["writer"]
    basic = SchemaRegistryClient({"url": server.base_url,
                                  "basic.auth.user.info": f"{key}:{secret}"})
    schema_id = basic.register_schema("team-a.ck-basic", Schema(record("K"), "AVRO"))
    assert basic.get_schema(schema_id).schema_str
    with pytest.raises(SchemaRegistryError) as refused:
        basic.register_schema("team-b.ck-basic", Schema(record("K"), "AVRO"))
    assert refused.value.http_status_code == 403
    assert refused.value.error_code == 40301
    wrong = SchemaRegistryClient({"url": server.base_url,
                                  "basic.auth.user.info": f"{key}:wrong"})
    with pytest.raises(SchemaRegistryError) as unauth:
        wrong.get_subjects()
    assert (unauth.value.http_status_code, unauth.value.error_code) == (401, 40101)
    bearer = SchemaRegistryClient({
        "url": server.base_url,
        "bearer.auth.credentials.source": "STATIC_TOKEN",
        "bearer.auth.token": signer.token({"charter_subject_prefixes": ["team-a."]}),
        "bearer.auth.logical.cluster": "charter",
        "bearer.auth.identity.pool.id": "pool",
    })
    token_id = bearer.register_schema("team-a.ck-bearer", Schema(record("B"), "AVRO"))
    assert bearer.get_latest_version("team-a.ck-bearer").schema_id == token_id
    for client in (basic, wrong, bearer):
        client.close()


def test_sdk_registry_and_charter_transport_with_credentials(server: Server,
                                                             signer: Signer) -> None:
    from sdk import Consumer, Producer, Registry
    from sdk.errors import RegistryError

    topic = "team-a.sdk-events"
    with server.client("admin") as admin:
        r = admin.post(f"/subjects/{topic}-value/versions", json={"schema": record("E")})
        assert r.status_code == 200
    url = server.base_url.replace("http://", "charter://")
    creds = server.credentials["writer"]
    with Registry(server.base_url, auth=creds) as registry:
        assert registry.latest(f"{topic}-value").schema_id == r.json()["id"]
        with Producer(url, registry=registry, auth=creds) as producer:
            producer.publish(topic, {"a": "hello"})
            producer.flush()
        with Consumer(url, registry=registry, group="team-a.g-sdk", topics=[topic],
                      auth=creds) as c:
            got = []
            deadline = time.monotonic() + 30
            while not got and time.monotonic() < deadline:
                got = c.poll(0.5)
            assert [m.value for m in got] == [{"a": "hello"}]
    with Registry(server.base_url, token=signer.token({"charter_role": "reader"})) as reader:
        assert topic + "-value" in reader.subjects()
    with Registry(server.base_url, retries=0) as anonymous, pytest.raises(RegistryError):
        anonymous.subjects()


def test_cli_commands_read_credentials_from_the_environment(server: Server, tmp_path: Path
                                                            ) -> None:
    key, secret = server.credentials["writer"]
    env = {"CHARTER_AUTH_KEY": key, "CHARTER_AUTH_SECRET": secret,
           "CHARTER_REGISTRY_URL": server.base_url,
           "CHARTER_BROKER_URL": server.base_url.replace("http://", "charter://")}
    topic = "team-a.cli-events"
    with server.client("admin") as admin:
        assert admin.post(f"/subjects/{topic}-value/versions",
                          json={"schema": record("C")}).status_code == 200
    sent = charter("produce", topic, env=env, stdin='{"a": "one"}\n{"a": "two"}\n')
    assert sent.returncode == 0, sent.stderr
    got = charter("consume", topic, "--from-beginning", "--max", "2", "--idle-timeout", "20",
                  env=env)
    assert got.returncode == 0, got.stderr
    assert '"one"' in got.stdout and '"two"' in got.stdout
    for done in (sent, got):
        assert secret not in done.stdout + done.stderr
    refused = charter("produce", topic, env={**env, "CHARTER_AUTH_SECRET": "wrong"},
                      stdin='{"a": "x"}\n')
    assert refused.returncode == 2
    assert "wrong" not in refused.stdout + refused.stderr.replace("wrong secret", "")


def test_a_revoked_key_stops_working(server: Server) -> None:
    creds = server.create_key("short-lived", "--role", "reader")
    with httpx.Client(base_url=server.base_url, auth=creds, timeout=30) as client:
        assert client.get("/subjects").status_code == 200
        done = charter("keys", "revoke", "short-lived", *server.db_args)
        assert done.returncode == 0, done.stderr
        # PostgreSQL: a notice reaches the server at once; SQLite: the memory of a verified
        # key is rechecked against the database after a few seconds.
        deadline = time.monotonic() + 60
        status = 200
        while status == 200 and time.monotonic() < deadline:
            status = client.get("/subjects").status_code
            time.sleep(0.2)
        assert status == 401


def test_writes_are_in_the_audit_trail_and_the_log(server: Server) -> None:
    with server.client("writer") as writer:
        assert writer.post("/subjects/team-a.audited/versions",
                           json={"schema": record("A")}).status_code == 200
        assert writer.post("/subjects/team-b.audited/versions",
                           json={"schema": record("A")}).status_code == 403
    deadline = time.monotonic() + 30
    entries: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        done = charter("audit", "--since", "1h", "--format", "json", *server.db_args)
        assert done.returncode == 0, done.stderr
        entries = [e for e in json.loads(done.stdout) if "audited" in str(e["path"])]
        if len(entries) >= 2:
            break
        time.sleep(0.5)
    outcomes = {(e["who"], e["method"], tuple(e["names"]), e["status"], e["outcome"])  # type: ignore[arg-type]
                for e in entries}
    assert ("writer", "POST", ("team-a.audited",), 200, "ok") in outcomes
    assert ("writer", "POST", ("team-b.audited",), 403, "denied") in outcomes
    text = charter("audit", *server.db_args)
    assert "team-a.audited" in text.stdout
    lines = [json.loads(line.split(" charter.audit: ", 1)[1]) for line in server.log().splitlines()
             if " charter.audit: " in line]
    assert any(e["names"] == ["team-a.audited"] and e["outcome"] == "ok" for e in lines)


def test_zz_no_secret_in_clear_on_disk_or_in_the_log(server: Server) -> None:
    secrets = [secret for _, secret in server.credentials.values()]
    assert secrets
    blobs = [server.log().encode()]
    blobs += [p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file()]
    for secret in secrets:
        assert all(secret.encode() not in blob for blob in blobs)


def test_refused_requests_are_logged_and_counted_with_their_request_id(server: Server) -> None:
    """The request log and metrics sit outside the guard, so a 401 is seen like any answer."""
    refused = httpx.get(f"{server.base_url}/subjects", headers={"X-Request-Id": "refused-1"},
                        timeout=10)
    assert refused.status_code == 401
    assert refused.headers["x-request-id"] == "refused-1"
    with server.client("admin") as admin:
        metrics = admin.get("/metrics").text
    assert any('status="401"' in line for line in metrics.splitlines()
               if line.startswith("charter_http_requests_total{")), metrics[:2000]
    deadline = time.monotonic() + 5
    while "refused-1" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "refused-1" in server.log()


def test_the_guard_reads_body_names_only_where_they_decide(server: Server) -> None:
    """A key without topic prefixes gets the route's own answer to a body naming no topic; a
    key with them is refused by the guard, which cannot tell what the body names."""
    with server.client("admin") as admin:
        unlimited = admin.post("/broker/topics", json={"name": 5})
    assert unlimited.status_code == 422, unlimited.text
    with server.client("writer") as writer:
        limited = writer.post("/broker/topics", json={"name": 5})
    assert (limited.status_code, limited.json()["error_code"]) == (400, 40001), limited.text


def test_a_default_context_qualifier_is_inside_the_same_prefix(server: Server) -> None:
    subject = "team-a.qualified-default"
    with server.client("writer") as writer:
        created = writer.post(f"/subjects/:.:{subject}/versions",
                              json={"schema": record("QualifiedDefault")})
        outside = writer.post("/subjects/:.:team-b.other/versions",
                              json={"schema": record("QualifiedOther")})
    assert created.status_code == 200, created.text
    assert outside.status_code == 403, outside.text
