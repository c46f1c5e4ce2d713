"""SASL on the Kafka listener: `charter serve --auth required` with keys from `charter keys
create`, and the real librdkafka over SASL_PLAINTEXT (PLAIN with KEY:SECRET, OAUTHBEARER with a
JWT signed by a test JWKS). One server for the module; every test names its own topics."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace as N
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from joserfc import jwt
from joserfc.jwk import RSAKey

from broker import Broker, TopicConfig
from broker.kafka import API_VERSIONS, KafkaListener, ListenerSettings, access
from broker.kafka.auth import AuthenticationFailed, parse_plain
from broker.kafka.errors import ErrorCode
from broker.kafka.messages import RequestFrame, encode_response
from cli.spawn import free_port
from tests.interop.server import _clean_env, charter_executable, stop, wait_healthy
from tests.kafka.wire import Wire

ISSUER = "https://issuer.test"
AUDIENCE = "charter-kafka-test"
TIMEOUT_S = 15.0


def charter(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([charter_executable(), *args], capture_output=True, text=True,
                          timeout=120, env=_clean_env())


@dataclass
class Secured:
    bootstrap: str
    data_dir: Path
    log_path: Path
    signing_key: RSAKey
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)

    def config(self, who: str, **extra: Any) -> dict[str, Any]:
        key, secret = self.keys[who]
        return {
            "bootstrap.servers": self.bootstrap,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": key,
            "sasl.password": secret,
            **extra,
        }

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "kafka-bot", "iat": now,
                "exp": now + 600, "charter_role": "writer", **claims}
        return jwt.encode({"alg": "RS256", "kid": self.signing_key.kid}, body, self.signing_key)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    work = tmp_path_factory.mktemp("kafka-sasl")
    data_dir = work / "data"
    key = RSAKey.generate_key(2048, parameters={"kid": "kafka-test"})
    jwks = work / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    kafka_port = free_port()
    srv = Secured(f"127.0.0.1:{kafka_port}", data_dir, work / "serve.log", key)
    roles = {
        "admin": ["--role", "admin"],
        "writer": ["--role", "writer"],
        "reader": ["--role", "reader"],
        "team": ["--role", "writer", "--topic-prefix", "team-a.", "--group-prefix", "team-a."],
    }
    # the first creates the database; the others run side by side (each CLI start costs seconds)
    made = {"admin": charter("keys", "create", "admin", *roles.pop("admin"), "--data-dir",
                             str(data_dir))}
    with concurrent.futures.ThreadPoolExecutor(len(roles)) as pool:
        futures = {name: pool.submit(charter, "keys", "create", name, *args, "--data-dir",
                                     str(data_dir)) for name, args in roles.items()}
        made.update({name: f.result() for name, f in futures.items()})
    for name, done in made.items():
        assert done.returncode == 0, done.stderr
        k, _, s = done.stdout.strip().splitlines()[-1].partition(":")
        srv.keys[name] = (k, s)
    port = free_port()
    log_path = srv.log_path
    command = [
        charter_executable(), "serve", "--port", str(port), "--data-dir", str(data_dir),
        "--log-level", "info", "--auth", "required", "--kafka-port", str(kafka_port),
        "--oidc-jwks", str(jwks), "--oidc-issuer", ISSUER, "--oidc-audience", AUDIENCE,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env=_clean_env())
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log_path)
        yield srv
    finally:
        stop(process)
    # secrets never in clear in the log
    text = log_path.read_text(errors="replace")
    assert all(secret not in text for _key, secret in srv.keys.values())


def _topic(prefix: str = "") -> str:
    return f"{prefix}sasl-{uuid.uuid4().hex[:8]}"


def _create(srv: Secured, *names: str) -> None:
    admin = AdminClient(srv.config("admin"))
    for future in admin.create_topics([NewTopic(n, 1) for n in names]).values():
        future.result(TIMEOUT_S)


def _produce(srv: Secured, who: str, topic: str, values: list[bytes]) -> list[KafkaError | None]:
    """Each record's delivery error (None: stored)."""
    producer = Producer(srv.config(who, **{"message.timeout.ms": 10_000}))
    errors: list[KafkaError | None] = []
    for value in values:
        producer.produce(topic, value, on_delivery=lambda err, _msg: errors.append(err))
    assert producer.flush(TIMEOUT_S) == 0
    return errors


def _consume(consumer: Consumer, count: int) -> list[bytes]:
    got: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT_S
    while len(got) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        got.append(msg.value())
    return got


def test_writer_produces_and_reader_consumes(secured: Secured) -> None:
    topic = _topic()
    _create(secured, topic)
    values = [f"v{i}".encode() for i in range(5)]
    assert _produce(secured, "writer", topic, values) == [None] * 5
    # a reader may fetch, but not join a group: it reads its partitions by assignment
    consumer = Consumer(secured.config("reader", **{"group.id": "reader-g",
                                                    "enable.auto.commit": False}))
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        assert _consume(consumer, 5) == values
    finally:
        consumer.close()


def test_wrong_secret_is_an_authentication_error(secured: Secured) -> None:
    errors: list[KafkaError] = []
    key, _secret = secured.keys["writer"]
    config = secured.config("writer", **{"sasl.password": "not-the-secret",
                                         "error_cb": errors.append})
    admin = AdminClient(config)
    deadline = time.monotonic() + TIMEOUT_S
    while not any(e.code() == KafkaError._AUTHENTICATION for e in errors):
        assert time.monotonic() < deadline, errors
        admin.poll(0.2)
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=1)
    assert key  # the key exists: only its secret is wrong


def test_sasl_on_the_wire(secured: Secured) -> None:
    wire = Wire(secured.bootstrap)
    try:  # a mechanism not offered: the answer lists those that are, then the broker closes
        answer = wire.call("sasl_handshake", 1, {"mechanism": "SCRAM-SHA-256"})
        assert answer.error_code == ErrorCode.unsupported_sasl_mechanism
        assert set(answer.mechanisms) == {"PLAIN", "OAUTHBEARER"}
        assert wire.closed_by_broker()
    finally:
        wire.close()
    key, secret = secured.keys["reader"]
    refused = ErrorCode.sasl_authentication_failed
    for password, code in [(secret, ErrorCode.none), ("wrong", refused)]:
        wire = Wire(secured.bootstrap)
        try:
            assert wire.call("sasl_handshake", 1, {"mechanism": "PLAIN"}).error_code == 0
            plain = f"\x00{key}\x00{password}".encode()
            answer = wire.call("sasl_authenticate", 2, {"auth_bytes": plain})
            assert answer.error_code == code
            if code:
                assert wire.closed_by_broker()
            else:  # authenticated: other APIs are answered
                listed = wire.call("metadata", 1, {"topics": None})
                assert listed.brokers
        finally:
            wire.close()
    stranger = RSAKey.generate_key(2048, parameters={"kid": "kafka-test"})
    for token, code in [(secured.token(), ErrorCode.none),
                        (secured.token(exp=int(time.time()) - 60), refused),
                        (jwt.encode({"alg": "RS256", "kid": "kafka-test"},
                                    {"iss": ISSUER, "aud": AUDIENCE, "sub": "x"}, stranger),
                         refused)]:
        wire = Wire(secured.bootstrap)
        try:
            assert wire.call("sasl_handshake", 1, {"mechanism": "OAUTHBEARER"}).error_code == 0
            message = f"n,,\x01auth=Bearer {token}\x01\x01".encode()
            answer = wire.call("sasl_authenticate", 1, {"auth_bytes": message})
            assert answer.error_code == code, answer.error_message
        finally:
            wire.close()


def test_without_sasl_the_connection_is_closed(secured: Secured) -> None:
    admin = AdminClient({"bootstrap.servers": secured.bootstrap})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=1)
    # on the wire: ApiVersions is answered, Metadata before SASL closes the connection
    wire = Wire(secured.bootstrap)
    try:
        versions = wire.call("api_versions", 3, {"client_software_name": "t",
                                                 "client_software_version": "1"})
        assert {17, 36} <= {k.api_key for k in versions.api_keys}
        wire.send_frame(wire.frame("metadata", 1, {"topics": None}))
        assert wire.closed_by_broker()
    finally:
        wire.close()


def test_reader_produce_is_topic_authorization_failed(secured: Secured) -> None:
    topic = _topic()
    _create(secured, topic)
    errors = _produce(secured, "reader", topic, [b"x"])
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_topic_prefix_limits_what_a_key_sees_and_writes(secured: Secured) -> None:
    mine, other = _topic("team-a."), _topic()
    _create(secured, mine, other)
    seen = AdminClient(secured.config("team")).list_topics(timeout=TIMEOUT_S).topics
    assert mine in seen and other not in seen
    assert other in AdminClient(secured.config("reader")).list_topics(timeout=TIMEOUT_S).topics
    assert _produce(secured, "team", mine, [b"ok"]) == [None]
    errors = _produce(secured, "team", other, [b"no"])
    assert errors[0] is not None
    assert errors[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    # nothing reached the other topic
    consumer = Consumer(secured.config("admin", **{"group.id": "audit-g",
                                                   "enable.auto.commit": False}))
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(other, 0), timeout=TIMEOUT_S)
        assert (low, high) == (0, 0)
    finally:
        consumer.close()


def test_group_prefix_is_enforced(secured: Secured) -> None:
    topic = _topic("team-a.")
    _create(secured, topic)
    assert _produce(secured, "team", topic, [b"a", b"b"]) == [None, None]
    outside = Consumer(secured.config("team", **{"group.id": "elsewhere",
                                                 "auto.offset.reset": "earliest"}))
    try:
        outside.subscribe([topic])
        deadline = time.monotonic() + TIMEOUT_S
        code = None
        while code is None and time.monotonic() < deadline:
            msg = outside.poll(0.5)
            if msg is not None and msg.error():
                code = msg.error().code()
            elif msg is not None:
                pytest.fail("a group outside the key's prefixes consumed records")
        assert code == KafkaError.GROUP_AUTHORIZATION_FAILED
    finally:
        outside.close()
    inside = Consumer(secured.config("team", **{"group.id": "team-a.g",
                                                "auto.offset.reset": "earliest"}))
    try:
        inside.subscribe([topic])
        assert _consume(inside, 2) == [b"a", b"b"]
        inside.commit(asynchronous=False)
    finally:
        inside.close()


def test_only_admin_deletes_topics(secured: Secured) -> None:
    topic = _topic()
    writer = AdminClient(secured.config("writer"))
    writer.create_topics([NewTopic(topic, 1)])[topic].result(TIMEOUT_S)
    reader = AdminClient(secured.config("reader"))
    name = _topic()
    with pytest.raises(KafkaException) as refused:
        reader.create_topics([NewTopic(name, 1)])[name].result(TIMEOUT_S)
    assert refused.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    with pytest.raises(KafkaException) as denied:
        writer.delete_topics([topic])[topic].result(TIMEOUT_S)
    assert denied.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    admin = AdminClient(secured.config("admin"))
    admin.delete_topics([topic])[topic].result(TIMEOUT_S)
    assert topic not in admin.list_topics(timeout=TIMEOUT_S).topics


def test_oauthbearer_token(secured: Secured) -> None:
    topic = _topic()
    _create(secured, topic)
    token = secured.token()

    def oauth_cb(_config: str) -> tuple[str, float]:
        return token, time.time() + 600

    producer = Producer({
        "bootstrap.servers": secured.bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "OAUTHBEARER",
        "oauth_cb": oauth_cb,
        "message.timeout.ms": 10_000,
    })
    errors: list[KafkaError | None] = []
    producer.produce(topic, b"by-token", on_delivery=lambda err, _m: errors.append(err))
    assert producer.flush(TIMEOUT_S) == 0
    assert errors == [None]


def test_writes_are_audited(secured: Secured) -> None:
    topic = _topic()
    _create(secured, topic)
    assert _produce(secured, "writer", topic, [b"audited"]) == [None]
    _produce(secured, "reader", topic, [b"refused"])
    deadline = time.monotonic() + TIMEOUT_S
    # logged at once as a structured line, then stored by the audit thread
    while len(_audit_lines(secured, topic)) < 2:
        assert time.monotonic() < deadline, "no audit lines for the Kafka writes"
        time.sleep(0.2)
    assert {(e["who"], e["outcome"]) for e in _audit_lines(secured, topic)} == {
        ("writer", "ok"), ("reader", "denied")}
    while True:
        done = charter("audit", "--format", "json", "--data-dir", str(secured.data_dir))
        assert done.returncode == 0, done.stderr
        entries = [e for e in json.loads(done.stdout)
                   if e["path"] == "kafka:produce" and topic in e["names"]]
        outcomes = {(e["who"], e["outcome"]) for e in entries}
        if {("writer", "ok"), ("reader", "denied")} <= outcomes or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert {("writer", "ok"), ("reader", "denied")} <= outcomes


def _audit_lines(srv: Secured, topic: str) -> list[dict[str, Any]]:
    """The audit trail's log lines for produce requests to `topic`."""
    found = []
    for line in srv.log_path.read_text(errors="replace").splitlines():
        _, marker, payload = line.partition("charter.audit: ")
        if marker:
            entry = json.loads(payload)
            if entry["path"] == "kafka:produce" and topic in entry["names"]:
                found.append(entry)
    return found


class _DenyAll:
    """An authenticator that refuses every operation: what each API answers then."""

    mechanisms = ("PLAIN",)

    def authenticate(self, mechanism: str, auth_bytes: bytes) -> object:
        raise AssertionError("not called")

    def authorize(self, principal: object, access: Any, resource: Any, names: Any) -> bool:
        return False

    def audit(self, *args: Any) -> None:
        return None


_REFUSED_REQUESTS: dict[str, tuple[Any, int]] = {
    "produce": (N(acks=1, topic_data=[N(name="t", partition_data=[N(index=0)])]),
                ErrorCode.topic_authorization_failed),
    "fetch": (N(topics=[N(topic="t", partitions=[N(partition=0)])]),
              ErrorCode.topic_authorization_failed),
    "list_offsets": (N(topics=[N(name="t", partitions=[N(partition_index=0)])]),
                     ErrorCode.topic_authorization_failed),
    "offset_commit": (N(group_id="g", topics=[N(name="t", partitions=[N(partition_index=0)])]),
                      ErrorCode.group_authorization_failed),
    "offset_fetch": (N(group_id="g", topics=[N(name="t", partition_indexes=[0])]),
                     ErrorCode.group_authorization_failed),
    "create_topics": (N(topics=[N(name="t")]), ErrorCode.topic_authorization_failed),
    "delete_topics": (N(topic_names=["t"]), ErrorCode.topic_authorization_failed),
    "join_group": (N(group_id="g"), ErrorCode.group_authorization_failed),
    "sync_group": (N(group_id="g"), ErrorCode.group_authorization_failed),
    "heartbeat": (N(group_id="g"), ErrorCode.group_authorization_failed),
    "leave_group": (N(group_id="g"), ErrorCode.group_authorization_failed),
    "find_coordinator": (N(key="g", key_type=0), ErrorCode.group_authorization_failed),
    "describe_groups": (N(groups=["g"]), ErrorCode.group_authorization_failed),
    "init_producer_id": (N(), ErrorCode.cluster_authorization_failed),
    "describe_configs": (N(resources=[N(resource_type=2, resource_name="t")]),
                         ErrorCode.topic_authorization_failed),
}


def _codes(value: Any) -> set[int]:
    if isinstance(value, dict):
        own = {int(value["error_code"])} if "error_code" in value else set()
        return own.union(*(_codes(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_codes(v) for v in value))
    return set()


@pytest.mark.parametrize("name", sorted(_REFUSED_REQUESTS))
def test_every_refusal_encodes_at_every_served_version(name: str) -> None:
    api = next(a for a in API_VERSIONS.values() if a.name == name)
    body, code = _REFUSED_REQUESTS[name]
    for version in range(api.min_version, api.max_version + 1):
        request = RequestFrame(api.key, version, 7, "t", body)
        gate = access.restrict(name, request, _DenyAll(), object())
        assert gate.request is None and gate.refused
        tree = gate.finish(None)
        assert tree is not None and int(code) in _codes(tree)
        assert _codes(tree) <= {0, int(code)}
        frame = encode_response(name, version, 7, tree, strict=version == api.max_version)
        assert len(frame) > 8


class _OneKey:
    """An authenticator with one PLAIN key that can be revoked; counts authentications."""

    mechanisms = ("PLAIN",)

    def __init__(self) -> None:
        self.authentications = 0
        self.revoked = False

    def authenticate(self, mechanism: str, auth_bytes: bytes) -> object:
        user, password = parse_plain(auth_bytes)
        self.authentications += 1
        if self.revoked or (user, password) != ("k", "s"):
            raise AuthenticationFailed("unknown key or wrong secret")
        return user

    def authorize(self, principal: object, access: Any, resource: Any, names: Any) -> bool:
        return True

    def audit(self, *args: Any) -> None:
        return None


SESSION_MS = 500


def test_sessions_are_renewed_and_a_revoked_key_loses_its_connection(tmp_path: Path) -> None:
    keys = _OneKey()
    with Broker(tmp_path / "broker", maintenance_interval_ms=None) as broker:
        broker.create_topic("renewed", TopicConfig())
        listener = KafkaListener(
            broker, ListenerSettings(port=0, sasl_session_ms=SESSION_MS), keys
        )
        listener.start()
        try:
            producer = Producer({
                "bootstrap.servers": f"127.0.0.1:{listener.port}",
                "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                "sasl.username": "k", "sasl.password": "s", "message.timeout.ms": 2_000,
            })
            errors: list[KafkaError | None] = []

            def send(value: bytes) -> None:
                producer.produce("renewed", value, on_delivery=lambda e, _m: errors.append(e))
                producer.flush(TIMEOUT_S)

            send(b"first")
            time.sleep(SESSION_MS * 2.5 / 1000)  # past the session: the client re-authenticated
            send(b"second")
            assert errors == [None, None] and keys.authentications >= 2
            keys.revoked = True
            time.sleep(SESSION_MS * 2.5 / 1000)
            send(b"after revocation")
            assert len(errors) == 3 and errors[2] is not None
            assert broker.offsets("renewed", 0) == (0, 2)
        finally:
            listener.stop()
