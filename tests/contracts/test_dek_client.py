"""confluent-kafka's `DekRegistryClient` and its field-level encryption against a real
`charter serve` (SQLite and PostgreSQL), and the same calls against the client's `mock://`
DEK registry: the same answers, timestamps aside.

The round trips use the client's own `FieldEncryptionExecutor` and local KMS (Tink): a
schema whose PII-tagged field has an ENCRYPT rule is produced (the field leaves encrypted)
and consumed (it reads back as plaintext), with the DEK wrapped by the client (a KEK that is
not shared) or generated and wrapped by Charter (a shared KEK).
"""

from __future__ import annotations

import base64
import io
import json
import secrets
from collections.abc import Iterator
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import RuleSet, Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.encryption.dek_registry.dek_registry_client import (
    Dek,
    DekAlgorithm,
    DekRegistryClient,
    Kek,
)
from confluent_kafka.schema_registry.rules.encryption.encrypt_executor import (
    FieldEncryptionExecutor,
)
from confluent_kafka.schema_registry.rules.encryption.localkms.local_client import (
    LocalKmsClient,
)
from confluent_kafka.schema_registry.rules.encryption.localkms.local_driver import (
    LocalKmsDriver,
)
from confluent_kafka.serialization import MessageField, SerializationContext

LocalKmsDriver.register()

SECRET = "charter-test-secret"
CUSTOMER = json.dumps({
    "type": "record", "name": "Customer",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "ssn", "type": "string", "confluent:tags": ["PII"]},
    ],
})


def _name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def _wrapped_material(kms_key_id: str, size: int = 32) -> str:
    """A DEK as a client makes one: random material wrapped by the local KMS."""
    aead = LocalKmsClient(SECRET).get_aead(f"local-kms://{kms_key_id}")
    return base64.b64encode(aead.encrypt(secrets.token_bytes(size), b"")).decode()


def _kek_view(kek: Kek) -> tuple[Any, ...]:
    props = dict(kek.kms_props.properties) if kek.kms_props is not None else {}
    return (kek.name, kek.kms_type, kek.kms_key_id, props, kek.doc, bool(kek.shared))


def _dek_view(dek: Dek) -> tuple[Any, ...]:
    return (dek.kek_name, dek.subject, dek.version, str(dek.algorithm),
            dek.encrypted_key_material)


def _status(call: Any) -> tuple[int, int] | None:
    try:
        call()
    except SchemaRegistryError as exc:
        return exc.http_status_code, exc.error_code
    return None


def dek_scenario(client: DekRegistryClient, kek_name: str, subject: str,
                 materials: list[str]) -> dict[str, Any]:
    """Every call of the client, as the answers (without timestamps) say it went."""
    registered = client.register_kek(kek_name, "local-kms", "key-1", kms_props={"a": "b"},
                                     doc="orders")
    fetched = client.get_kek(kek_name)
    v1 = client.register_dek(kek_name, subject, materials[0])
    v2 = client.register_dek(kek_name, subject, materials[1], version=2)
    siv = client.register_dek(kek_name, subject, materials[2], DekAlgorithm.AES256_SIV)
    return {
        "kek": (_kek_view(registered), _kek_view(fetched)),
        "deks": [_dek_view(d) for d in (v1, v2, siv)],
        "get": [
            _dek_view(client.get_dek(kek_name, subject)),
            _dek_view(client.get_dek(kek_name, subject, version=2)),
            _dek_view(client.get_dek(kek_name, subject, version=-1)),
            _dek_view(client.get_dek(kek_name, subject, DekAlgorithm.AES256_SIV)),
        ],
        "missing_kek": _status(lambda: client.get_kek(f"{kek_name}_none")),
        "missing_dek": _status(lambda: client.get_dek(kek_name, f"{subject}-none")),
        "missing_version": _status(lambda: client.get_dek(kek_name, subject, version=3)),
        "missing_algorithm": _status(
            lambda: client.get_dek(kek_name, subject, DekAlgorithm.AES128_GCM)),
    }


@pytest.fixture
def dek_client(charter_url: str) -> Iterator[DekRegistryClient]:
    with DekRegistryClient({"url": charter_url}) as client:
        yield client


def test_every_client_call_answers_as_the_clients_mock(dek_client: DekRegistryClient) -> None:
    kek_name, subject = _name("kek"), f"orders-{secrets.token_hex(3)}-value"
    materials = [_wrapped_material("key-1"), _wrapped_material("key-1"),
                 _wrapped_material("key-1", 64)]
    mock = DekRegistryClient.new_client({"url": "mock://"})
    ours = dek_scenario(dek_client, kek_name, subject, materials)
    theirs = dek_scenario(mock, kek_name, subject, materials)
    assert ours == theirs
    assert ours["missing_kek"] == ours["missing_dek"] == (404, 40470)
    assert ours["get"][2] == ours["deks"][1]  # version -1 is the newest


def test_answers_carry_confluents_fields(dek_client: DekRegistryClient) -> None:
    kek_name, subject = _name("kek"), "payments-value"
    kek = dek_client.register_kek(kek_name, "local-kms", "key-2")
    assert (kek.shared, kek.deleted) == (False, False) and kek.ts is not None and kek.ts > 0
    dek = dek_client.register_dek(kek_name, subject, _wrapped_material("key-2"))
    assert dek.deleted is False and dek.ts is not None and dek.key_material is None
    # A new client reads what the first one stored (nothing is served from its cache).
    url = dek_client.config()["url"]
    with DekRegistryClient({"url": url}) as fresh:
        assert _kek_view(fresh.get_kek(kek_name)) == _kek_view(kek)
        assert _dek_view(fresh.get_dek(kek_name, subject)) == _dek_view(dek)


def test_registering_an_existing_key_conflicts_as_confluent(charter_url: str) -> None:
    kek_name = _name("kek")
    with DekRegistryClient({"url": charter_url}) as first:
        first.register_kek(kek_name, "local-kms", "key-3")
        first.register_dek(kek_name, "s-value", _wrapped_material("key-3"))
    with DekRegistryClient({"url": charter_url}) as second:  # no cached answers
        assert _status(lambda: second.register_kek(kek_name, "local-kms", "key-3")) == (
            409, 40971)
        assert _status(lambda: second.register_dek(
            kek_name, "s-value", _wrapped_material("key-3"))) == (409, 40971)
        assert _status(lambda: second.register_dek(
            f"{kek_name}_none", "s-value", _wrapped_material("key-3"))) == (404, 40470)


def test_a_shared_kek_has_charter_generate_and_unwrap_deks(
    dek_client: DekRegistryClient,
) -> None:
    kek_name = _name("shared")
    kek = dek_client.register_kek(kek_name, "local-kms", "key-4", shared=True,
                                  kms_props={"secret": SECRET})
    assert kek.shared is True
    assert kek.kms_props is not None and "secret" not in kek.kms_props.properties  # redacted
    created = dek_client.register_dek(kek_name, "shared-value", None,  # type: ignore[arg-type]
                                      DekAlgorithm.AES128_GCM)
    material = created.get_key_material_bytes()
    assert material is not None and len(material) == 18  # AesGcmKey: 2 bytes + 16-byte key
    # The client's own local KMS unwraps what Charter wrapped: the same material.
    aead = LocalKmsClient(SECRET).get_aead("local-kms://key-4")
    wrapped = created.get_encrypted_key_material_bytes()
    assert wrapped is not None and aead.decrypt(wrapped, b"") == material
    again = dek_client.get_dek(kek_name, "shared-value", DekAlgorithm.AES128_GCM)
    assert again.get_key_material_bytes() == material


def test_a_non_shared_kek_needs_key_material(dek_client: DekRegistryClient) -> None:
    kek_name = _name("kek")
    dek_client.register_kek(kek_name, "local-kms", "key-5")
    assert _status(lambda: dek_client.register_dek(
        kek_name, "x-value", None)) == (422, 42271)  # type: ignore[arg-type]


# ---- field-level encryption round trips -------------------------------------------------


def _rules(kek_name: str, kms_key_id: str) -> RuleSet:
    return RuleSet.from_dict({"domainRules": [{
        "name": "encrypt-pii", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "ENCRYPT",
        "tags": ["PII"], "onFailure": "ERROR,NONE",
        "params": {"encrypt.kek.name": kek_name, "encrypt.kms.type": "local-kms",
                   "encrypt.kms.key.id": kms_key_id},
    }]})


def _encryption_rules() -> RuleRegistry:
    rules = RuleRegistry()
    rules.register_executor(FieldEncryptionExecutor())
    return rules


def produce_and_consume(sr: SchemaRegistryClient, subject: str, kek_name: str,
                        kms_key_id: str, *, one_executor: bool = False) -> tuple[bytes, Any]:
    """`one_executor`: the consumer reuses the producer's executor and so its DEK client
    (the mock's DEK registry lives in that client); otherwise the consumer has only the
    registry to find the DEK in."""
    producer_rules = _encryption_rules()
    consumer_rules = producer_rules if one_executor else _encryption_rules()
    sr.register_schema(subject, Schema(CUSTOMER, "AVRO",
                                       rule_set=_rules(kek_name, kms_key_id)))
    ctx = SerializationContext(subject.removesuffix("-value"), MessageField.VALUE)
    serializer = AvroSerializer(
        sr, conf={"auto.register.schemas": False, "use.latest.version": True},
        rule_conf={"secret": SECRET}, rule_registry=producer_rules)
    data = serializer({"id": 7, "ssn": "123-45-6789"}, ctx)
    assert data is not None
    deserializer = AvroDeserializer(sr, rule_conf={"secret": SECRET},
                                    rule_registry=consumer_rules)
    return data, deserializer(data, ctx)


def _written_ssn(data: bytes) -> str:
    record = fastavro.schemaless_reader(io.BytesIO(data[5:]), json.loads(CUSTOMER))
    assert isinstance(record, dict)
    return str(record["ssn"])


@pytest.fixture
def charter_sr(charter_url: str) -> Iterator[SchemaRegistryClient]:
    sr = SchemaRegistryClient({"url": charter_url})
    yield sr
    sr.close()


def test_field_encryption_round_trip_as_with_the_mock(
    charter_sr: SchemaRegistryClient, charter_url: str
) -> None:
    subject, kek_name = f"customers-{secrets.token_hex(3)}-value", _name("pii")
    data, read = produce_and_consume(charter_sr, subject, kek_name, kek_name)
    assert read == {"id": 7, "ssn": "123-45-6789"}
    assert b"123-45-6789" not in data and _written_ssn(data) != "123-45-6789"
    # The executor registered its KEK and a client-wrapped DEK with Charter.
    with DekRegistryClient({"url": charter_url}) as client:
        assert client.get_kek(kek_name).shared is False
        assert client.get_dek(kek_name, subject).encrypted_key_material
    mock = SchemaRegistryClient.new_client({"url": f"mock://{secrets.token_hex(4)}"})
    mock_data, mock_read = produce_and_consume(mock, subject, _name("pii"), _name("pii"),
                                               one_executor=True)
    assert mock_read == read and len(mock_data) == len(data)


def test_field_encryption_with_a_shared_kek(
    charter_sr: SchemaRegistryClient, charter_url: str
) -> None:
    subject, kek_name = f"accounts-{secrets.token_hex(3)}-value", _name("pii")
    with DekRegistryClient({"url": charter_url}) as client:
        client.register_kek(kek_name, "local-kms", kek_name, shared=True,
                            kms_props={"secret": SECRET})
    data, read = produce_and_consume(charter_sr, subject, kek_name, kek_name)
    assert read == {"id": 7, "ssn": "123-45-6789"} and b"123-45-6789" not in data
    with DekRegistryClient({"url": charter_url}) as client:
        dek = client.get_dek(kek_name, subject)
        assert dek.key_material is not None  # Charter generated it and answers it unwrapped
