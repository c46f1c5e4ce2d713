"""`charter://` picks its path: the Kafka listener that `GET /broker/kafka` names, or the HTTP
API when the listener is off, unreachable, refused or confluent-kafka cannot be imported;
`?transport=http|kafka` forces one. Real `charter serve` processes, the real librdkafka, SASL
with keys and tokens under `--auth required`, and the CLI's produce/consume/replay over it."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from broker.client import BrokerClient
from cli.spawn import free_port, spawn
from sdk import (
    ConfigurationError,
    Consumer,
    DeliveryError,
    Message,
    Producer,
    Registry,
    TransportError,
)
from sdk.transports import charter
from sdk.transports.http import HttpConsumer, HttpProducer
from sdk.transports.kafka import KafkaConsumer, KafkaProducer
from tests.interop.server import _clean_env, charter_executable
from tests.sdk.server import needs_registry

pytestmark = [pytest.mark.timeout(180), needs_registry]

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.dumps(
    {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
)


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT
    kafka_port: int
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def broker(self) -> str:
        return "charter://" + self.url.split("://", 1)[1]


def _served(
    tmp: pytest.TempPathFactory, name: str, kafka_port: int, *args: str
) -> Iterator[Served]:
    with spawn(tmp.mktemp(name), kafka_port=kafka_port, extra_args=args) as spawned:
        yield Served(spawned.url, kafka_port)


@pytest.fixture(scope="module")
def with_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _served(tmp_path_factory, "with-kafka", free_port())


@pytest.fixture(scope="module")
def without_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _served(tmp_path_factory, "without-kafka", 0)


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # bound on 127.0.0.1, advertised on 127.0.0.2: nothing listens where clients are sent
    yield from _served(tmp_path_factory, "unreachable", free_port(),
                       "--kafka-advertised-host", "127.0.0.2")


def _topic() -> str:
    return f"ct-{uuid.uuid4().hex[:10]}"


def _registered(registry: Registry, topic: str) -> int:
    return registry.register(f"{topic}-value", SCHEMA, "JSON")


def _drain(consumer: Consumer, count: int, timeout_s: float = 30.0) -> list[Message]:
    got: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        got.extend(consumer.poll(0.5))
    return got


def _round_trip(broker: str, registry: Registry, **options: Any) -> tuple[Any, Any]:
    """Publish three events and read them back in a group; the two transports used."""
    topic = _topic()
    _registered(registry, topic)
    with Producer(broker, registry=registry, **options) as producer:
        for n in range(3):
            producer.publish(topic, {"n": n}, key=f"k{n}")
        producer.flush()
        sent = producer._transport
    with Consumer(broker, registry=registry, group="g", topics=[topic], **options) as consumer:
        got = _drain(consumer, 3)
        consumer.commit()
        read = consumer._transport
    assert [m.value for m in got] == [{"n": 0}, {"n": 1}, {"n": 2}]
    return sent, read


# ---------------------------------------------------------------------- the URL


def test_the_url_names_a_transport_or_leaves_the_choice() -> None:
    assert charter.parse_url("charter://h:1").transport == "auto"
    assert charter.parse_url("charter://h:1?transport=HTTP").transport == "http"
    assert charter.parse_url("charter://h:1", "kafka").transport == "kafka"
    assert charter.parse_url("charter://h:1?transport=kafka", "kafka").http == "charter://h:1"
    for bad, option in [("charter://h:1?transport=grpc", None), ("charter://h:1?x=1", None),
                        ("charter://h:1?transport=http", "kafka"), ("charter://", None)]:
        with pytest.raises(ConfigurationError):
            charter.parse_url(bad, option)


# ---------------------------------------------------------------------- discovery


def test_discovery_names_the_listener_and_charter_goes_over_kafka(
    with_kafka: Served,
) -> None:
    answer = httpx.get(f"{with_kafka.url}/broker/kafka", timeout=10).json()
    assert answer == {"listener": {
        "host": "127.0.0.1", "port": with_kafka.kafka_port,
        "bootstrap_servers": f"127.0.0.1:{with_kafka.kafka_port}",
        "security_protocol": "PLAINTEXT", "sasl_mechanisms": [],
    }}
    with Registry(with_kafka.url) as registry:
        sent, read = _round_trip(with_kafka.broker, registry)
    assert isinstance(sent, KafkaProducer) and isinstance(read, KafkaConsumer)
    assert sent.servers == f"127.0.0.1:{with_kafka.kafka_port}"


def test_the_route_is_in_the_openapi_document(with_kafka: Served) -> None:
    doc = httpx.get(f"{with_kafka.url}/openapi.json", timeout=10).json()
    route = doc["paths"]["/broker/kafka"]["get"]
    assert {"200", "401", "403"} <= set(route["responses"])
    listener = doc["components"]["schemas"]["KafkaDiscovery"]["properties"]["listener"]
    assert {"type": "null"} in listener["anyOf"]
    shape = doc["components"]["schemas"]["KafkaListenerInfo"]["properties"]
    assert set(shape) == {"host", "port", "bootstrap_servers", "security_protocol",
                          "sasl_mechanisms"}


def test_the_listener_off_means_http_logged_once(
    without_kafka: Served, caplog: pytest.LogCaptureFixture
) -> None:
    assert httpx.get(f"{without_kafka.url}/broker/kafka", timeout=10).json() == {
        "listener": None
    }
    with caplog.at_level(logging.DEBUG, logger="sdk.transports"), Registry(
        without_kafka.url
    ) as registry:
        sent, read = _round_trip(without_kafka.broker, registry)
    assert isinstance(sent, HttpProducer) and isinstance(read, HttpConsumer)
    said = [r for r in caplog.records if "goes over HTTP" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.INFO, logging.DEBUG]
    assert "runs without a Kafka listener" in said[0].getMessage()


def test_an_unreachable_listener_means_http(unreachable: Served) -> None:
    listener = httpx.get(f"{unreachable.url}/broker/kafka", timeout=10).json()["listener"]
    assert listener["bootstrap_servers"] == f"127.0.0.2:{unreachable.kafka_port}"
    with Registry(unreachable.url) as registry:
        sent, read = _round_trip(unreachable.broker, registry)
    assert isinstance(sent, HttpProducer) and isinstance(read, HttpConsumer)
    with pytest.raises(TransportError, match="not reachable"):
        Producer(unreachable.broker + "?transport=kafka", registry=registry)


def test_forced_transports(with_kafka: Served, without_kafka: Served) -> None:
    with Registry(with_kafka.url) as registry:
        sent, read = _round_trip(with_kafka.broker + "?transport=http", registry)
        assert isinstance(sent, HttpProducer) and isinstance(read, HttpConsumer)
        sent, read = _round_trip(with_kafka.broker, registry, transport="http")
        assert isinstance(sent, HttpProducer) and isinstance(read, HttpConsumer)
        sent, read = _round_trip(with_kafka.broker + "?transport=kafka", registry)
        assert isinstance(sent, KafkaProducer) and isinstance(read, KafkaConsumer)
    with pytest.raises(TransportError, match="without a Kafka listener"):
        Producer(without_kafka.broker + "?transport=kafka", registry=registry)
    with pytest.raises(TransportError, match="cannot ask"):  # nothing answers there
        Producer(f"charter://127.0.0.1:{free_port()}", registry=registry, transport="kafka")


def test_without_confluent_kafka_charter_goes_over_http(with_kafka: Served) -> None:
    script = f"""
import sys
sys.modules["confluent_kafka"] = None  # import confluent_kafka raises ImportError
from sdk import Producer, Registry
with Registry({with_kafka.url!r}) as registry:
    with Producer({with_kafka.broker!r}, registry=registry) as producer:
        print(type(producer._transport).__name__)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=_clean_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "HttpProducer"


def test_the_same_log_behind_both_paths(with_kafka: Served) -> None:
    """What goes in through Kafka is read back over HTTP at the same offsets, and the other
    way round, with keys, headers and timestamps."""
    topic = _topic()
    with Registry(with_kafka.url) as registry:
        _registered(registry, topic)
        for path in ("kafka", "http"):
            with Producer(with_kafka.broker, registry=registry, transport=path) as producer:
                producer.publish(topic, {"n": 1 if path == "kafka" else 2}, key=path,
                                 headers={"via": path})
        got: dict[str, list[tuple[Any, ...]]] = {}
        for path in ("kafka", "http"):
            with Consumer(with_kafka.broker, registry=registry, group=None, topics=[topic],
                          transport=path) as consumer:
                assert consumer.end_offsets() == {(topic, 0): 2}
                got[path] = [(m.offset, m.key, m.value, m.header("via"), m.timestamp)
                             for m in _drain(consumer, 2)]
    assert got["kafka"] == got["http"]
    assert [(o, k, v, h) for o, k, v, h, _ in got["kafka"]] == [
        (0, b"kafka", {"n": 1}, b"kafka"), (1, b"http", {"n": 2}, b"http")]


def test_http_commits_leave_the_poll_loop_and_refusals_come_back(without_kafka: Served) -> None:
    """Over HTTP a commit is queued and sent from a thread of its own; close sends what is
    left and waits for it; a commit the broker refuses after a rebalance is raised by a later
    commit."""
    topic = _topic()
    with Registry(without_kafka.url) as registry:
        _registered(registry, topic)
        with Producer(without_kafka.broker, registry=registry) as producer:
            for n in range(3):
                producer.publish(topic, {"n": n})
        with Consumer(without_kafka.broker, registry=registry, group="queued",
                      topics=[topic]) as consumer:
            assert isinstance(consumer._transport, HttpConsumer)
            assert len(_drain(consumer, 3)) == 3
            consumer.commit()
        with BrokerClient(without_kafka.url) as admin:
            assert [row.committed for row in admin.lag("queued")] == [3]
        first = Consumer(without_kafka.broker, registry=registry, group="moved",
                         topics=[topic])
        second = Consumer(without_kafka.broker, registry=registry, group="moved",
                          topics=[topic])  # a new generation: first's commits are refused
        try:
            refused: TransportError | None = None
            deadline = time.monotonic() + 30
            while refused is None and time.monotonic() < deadline:
                try:
                    first._transport.commit({(topic, 0): 1})
                except TransportError as exc:
                    refused = exc
                time.sleep(0.05)
            assert refused is not None and "rebalance" in str(refused)
        finally:
            second.close()
            first.close()


def test_a_contract_refusal_names_the_record_on_both_paths(with_kafka: Served) -> None:
    topic = _topic()
    with BrokerClient(with_kafka.url) as admin:
        from broker import TopicConfig

        admin.create_topic(topic, TopicConfig(partitions=1, contract="id"))
    with Registry(with_kafka.url) as registry:
        _registered(registry, topic)
        for path in ("kafka", "http"):
            producer = Producer(with_kafka.broker, registry=registry, transport=path)
            producer.publish(topic, {"n": 1})
            producer.flush()
            producer.publish_bytes(topic, b"\x01not framed", key=b"bad-key")
            with pytest.raises(DeliveryError, match="ContractViolation") as caught:
                producer.flush()
            assert caught.value.failures[0][0] == topic
            if path == "kafka":
                assert "b'bad-key'" in caught.value.failures[0][1]
            else:
                assert "record 0" in caught.value.failures[0][1]
            producer.close()
    with BrokerClient(with_kafka.url) as admin:
        assert admin.offsets(topic, 0) == (0, 2)  # the two good ones, nothing of the bad


def test_the_dead_letter_topic_and_auto_created_partitions_over_kafka(
    with_kafka: Served,
) -> None:
    topic = _topic()
    with Registry(with_kafka.url) as registry:
        _registered(registry, topic)
        with Producer(with_kafka.broker, registry=registry, partitions=3) as producer:
            for n in range(6):
                producer.publish(topic, {"n": n}, key=f"k{n}")
        with BrokerClient(with_kafka.url) as admin:
            assert admin.describe_topic(topic).config.partitions == 3

        def refuse(message: Message) -> None:
            raise RuntimeError(f"no {message.value['n']}")

        with Consumer(with_kafka.broker, registry=registry, group="dlq-g",
                      topics=[topic]) as consumer:
            assert isinstance(consumer._transport, KafkaConsumer)
            stats = consumer.run(refuse, retries=0, backoff_s=0, max_messages=6,
                                 idle_timeout_s=20)
        assert stats.dead_lettered == 6
        with Consumer(with_kafka.broker, registry=registry, group=None,
                      topics=[f"{topic}.dlq"]) as dead:
            assert len(_drain(dead, 6)) == 6
        with BrokerClient(with_kafka.url) as admin:
            lag = admin.lag("dlq-g")
        assert sum(row.committed or 0 for row in lag) == 6


# ---------------------------------------------------------------------- the CLI


def _charter(*args: str, env: dict[str, str], stdin: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([charter_executable(), *args], capture_output=True, text=True,
                          timeout=120, env={**_clean_env(), **env}, input=stdin, cwd=ROOT)


@pytest.mark.parametrize("suffix", ["", "?transport=http"], ids=["kafka", "http"])
def test_cli_produce_consume_and_replay_over_charter(with_kafka: Served, suffix: str) -> None:
    topic = _topic()
    with Registry(with_kafka.url) as registry:
        _registered(registry, topic)
    env = {"CHARTER_REGISTRY_URL": with_kafka.url,
           "CHARTER_BROKER_URL": with_kafka.broker + suffix}
    sent = _charter("produce", topic, env=env, stdin='{"n": 1}\n{"n": 2}\n{"n": 3}\n')
    assert sent.returncode == 0, sent.stderr
    assert "sent 3 event(s)" in sent.stdout
    got = _charter("consume", topic, "--group", "cli", "--from-beginning", "--max", "3",
                   "--idle-timeout", "20", "--format", "json", env=env)
    assert got.returncode == 0, got.stderr
    values = [json.loads(line)["value"] for line in got.stdout.splitlines() if line.strip()]
    assert values == [{"n": 1}, {"n": 2}, {"n": 3}]
    replayed = _charter("replay", topic, "--format", "json", env=env)
    assert replayed.returncode == 0, replayed.stderr
    report = json.loads(replayed.stdout)
    assert report["records"] == 3 and report["violations"] == []
    assert "Traceback" not in got.stderr + sent.stderr + replayed.stderr


# ---------------------------------------------------------------------- SASL


ISSUER = "https://issuer.test"
AUDIENCE = "charter-sdk-test"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Any]]:
    from joserfc.jwk import RSAKey

    work = tmp_path_factory.mktemp("secured")
    data_dir = work / "data"
    key = RSAKey.generate_key(2048, parameters={"kid": "sdk-test"})
    jwks = work / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    keys: dict[str, tuple[str, str]] = {}
    for name, limits in [("writer", ()), ("team", ("--topic-prefix", "team-a.",
                                                   "--group-prefix", "team-a."))]:
        made = _charter("keys", "create", name, "--role", "writer", *limits, "--data-dir",
                        str(data_dir), env={})
        assert made.returncode == 0, made.stderr
        key_id, _, secret = made.stdout.strip().splitlines()[-1].partition(":")
        keys[name] = (key_id, secret)
    kafka_port = free_port()
    args = ("--auth", "required", "--oidc-jwks", str(jwks), "--oidc-issuer", ISSUER,
            "--oidc-audience", AUDIENCE)
    with spawn(data_dir, kafka_port=kafka_port, extra_args=args) as spawned:
        served = Served(spawned.url, kafka_port, keys)
        yield served, key
    log = (data_dir / "serve.log").read_text(errors="replace")
    assert all(secret not in log for _key, secret in keys.values())


def _token(key: Any) -> str:
    from joserfc import jwt

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "sdk-bot", "iat": now, "exp": now + 600,
              "charter_role": "writer"}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def test_sasl_plain_and_oauthbearer_through_charter(secured: tuple[Served, Any]) -> None:
    served, key = secured
    creds = served.credentials["writer"]
    listener = httpx.get(f"{served.url}/broker/kafka", auth=creds, timeout=10).json()["listener"]
    assert listener["security_protocol"] == "SASL_PLAINTEXT"
    assert set(listener["sasl_mechanisms"]) == {"PLAIN", "OAUTHBEARER"}
    # the route is answered like the broker's other reads: not without credentials
    assert httpx.get(f"{served.url}/broker/kafka", timeout=10).status_code == 401
    with Registry(served.url, auth=creds) as registry:
        sent, read = _round_trip(served.broker, registry, auth=creds)
        assert isinstance(sent, KafkaProducer) and isinstance(read, KafkaConsumer)
    token = _token(key)
    with Registry(served.url, token=token) as registry:
        sent, read = _round_trip(served.broker, registry, token=token)
        assert isinstance(sent, KafkaProducer) and isinstance(read, KafkaConsumer)


def test_refused_credentials_are_refused_on_either_path(secured: tuple[Served, Any]) -> None:
    served, _key = secured
    wrong = (served.credentials["writer"][0], "not-the-secret")
    with Registry(served.url, auth=served.credentials["writer"]) as registry:
        # auto: the route refuses them (401), so HTTP, which refuses them too
        with pytest.raises(TransportError):
            _round_trip(served.broker, registry, auth=wrong)
        with pytest.raises(TransportError, match="401"):
            Producer(served.broker + "?transport=kafka", registry=registry, auth=wrong)
        # no credentials at all: the listener asks for SASL, so forced Kafka cannot go
        with pytest.raises(TransportError):
            Producer(served.broker, registry=registry, transport="kafka")


def test_reading_without_a_group_needs_no_group_permission(secured: tuple[Served, Any]) -> None:
    """A key limited to `team-a.` groups reads `team-a.` topics without a group (replay,
    `charter consume` without --group): the Kafka path asks for no group's offsets."""
    served, _key = secured
    creds = served.credentials["team"]
    topic = f"team-a.{_topic()}"
    with Registry(served.url, auth=creds) as registry:
        _registered(registry, topic)
        with Producer(served.broker, registry=registry, auth=creds) as producer:
            producer.publish(topic, {"n": 7})
        with Consumer(served.broker, registry=registry, group=None, topics=[topic],
                      auth=creds) as reader:
            assert isinstance(reader._transport, KafkaConsumer)
            assert [m.value for m in _drain(reader, 1)] == [{"n": 7}]
    env = {"CHARTER_REGISTRY_URL": served.url, "CHARTER_BROKER_URL": served.broker,
           "CHARTER_AUTH_KEY": creds[0], "CHARTER_AUTH_SECRET": creds[1]}
    replayed = _charter("replay", topic, "--format", "json", env=env)
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["records"] == 1


def test_dead_letters_go_with_the_consumers_credentials(secured: tuple[Served, Any]) -> None:
    """Under `--auth required` the dead-letter producer authenticates as its consumer does."""
    served, _key = secured
    creds = served.credentials["writer"]
    topic = _topic()
    with Registry(served.url, auth=creds) as registry:
        _registered(registry, topic)
        with Producer(served.broker, registry=registry, auth=creds) as producer:
            producer.publish(topic, {"n": 1})

        def refuse(message: Message) -> None:
            raise RuntimeError("refused")

        with Consumer(served.broker, registry=registry, group="dlq-auth", topics=[topic],
                      auth=creds) as consumer:
            stats = consumer.run(refuse, retries=0, backoff_s=0, max_messages=1,
                                 idle_timeout_s=20)
        assert stats.dead_lettered == 1
        with Consumer(served.broker, registry=registry, group=None, topics=[f"{topic}.dlq"],
                      auth=creds) as dead:
            assert len(_drain(dead, 1)) == 1


def test_credentials_in_the_url_are_refused_without_quoting_them() -> None:
    with pytest.raises(ConfigurationError) as refused:
        charter.parse_url("charter://mykey:s3cret@127.0.0.1:8081")
    assert "s3cret" not in str(refused.value) and "auth=" in str(refused.value)


def test_a_heartbeat_interval_of_a_whole_session_is_refused(without_kafka: Served) -> None:
    """Heartbeats skipped for a whole session would let the group expire the member."""
    for interval in (10_000, 20_000, -1):
        with pytest.raises(ConfigurationError) as refused:
            HttpConsumer(without_kafka.broker, "hb", ["hb-topic"], "earliest",
                         session_timeout_ms=10_000, heartbeat_interval_ms=interval)
        assert "heartbeat_interval_ms" in str(refused.value)


def test_http_commits_go_with_the_generation_they_were_given_under() -> None:
    """Offsets given under one generation and then another are sent apart, each with its
    own; offsets whose send failed are retried with theirs, not with the generation current
    when they go again (the group may have moved on and back meanwhile)."""
    import httpx

    from sdk.transports.http import _Commits

    sent: list[tuple[dict[Any, int], tuple[str | None, int]]] = []
    fail_next = [True]

    def send(offsets: dict[Any, int], membership: tuple[str | None, int]) -> None:
        if fail_next[0]:
            fail_next[0] = False
            raise httpx.ConnectError("the broker is away")
        sent.append((dict(offsets), membership))

    commits = _Commits(send, interval_s=0.2)
    tp = ("t", 0)
    commits.give({tp: 5}, ("m", 1))  # sent at once, and fails
    deadline = time.monotonic() + 10
    while fail_next[0] and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(TransportError):
        commits.give({tp: 9}, ("m", 3))  # the failure comes back; 5 goes again under gen 1
    commits.close(10)
    assert sent == [({tp: 5}, ("m", 1)), ({tp: 9}, ("m", 3))]
