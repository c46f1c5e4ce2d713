"""The registry client against a real `charter serve`."""

from __future__ import annotations

import json
import threading

import pytest

from sdk import (
    IncompatibleSchemaError,
    Registry,
    RegistryError,
    RegistryUnavailableError,
    SchemaNotFoundError,
)
from tests.sdk.proxy import fault_proxy
from tests.sdk.server import free_port

V1 = json.dumps({"type": "record", "name": "User", "fields": [{"name": "id", "type": "string"}]})
V2 = json.dumps(
    {
        "type": "record",
        "name": "User",
        "fields": [{"name": "id", "type": "string"}, {"name": "age", "type": "int", "default": 0}],
    }
)
BREAKING = json.dumps(
    {
        "type": "record",
        "name": "User",
        "fields": [{"name": "id", "type": "string"}, {"name": "email", "type": "string"}],
    }
)


def test_register_then_read_back(registry: Registry, topic: str) -> None:
    subject = f"{topic}-value"
    first = registry.register(subject, V1)
    assert registry.register(subject, V1) == first
    second = registry.register(subject, V2)
    assert second != first
    assert json.loads(registry.get_schema(first).schema) == json.loads(V1)
    latest = registry.latest(subject)
    assert (latest.schema_id, latest.version, latest.subject) == (second, 2, subject)
    assert registry.get_version(subject, 1).schema_id == first
    assert registry.lookup(subject, V1).version == 1
    assert registry.versions(subject) == [1, 2]
    assert subject in registry.subjects()
    assert subject in registry.subjects(prefix=topic)


def test_json_schema_type_is_kept(registry: Registry, topic: str) -> None:
    schema = json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})
    schema_id = registry.register(f"{topic}-value", schema, "JSON")
    assert registry.get_schema(schema_id).schema_type == "JSON"
    assert registry.latest(f"{topic}-value").schema_type == "JSON"


def test_not_found_errors_carry_confluent_codes(registry: Registry, topic: str) -> None:
    with pytest.raises(SchemaNotFoundError) as info:
        registry.get_schema(987654)
    assert (info.value.status, info.value.error_code) == (404, 40403)
    with pytest.raises(SchemaNotFoundError) as info:
        registry.latest(f"{topic}-value")
    assert info.value.error_code == 40401
    registry.register(f"{topic}-value", V1)
    with pytest.raises(SchemaNotFoundError) as info:
        registry.get_version(f"{topic}-value", 9)
    assert info.value.error_code == 40402
    with pytest.raises(SchemaNotFoundError) as info:
        registry.lookup(f"{topic}-value", V2)
    assert info.value.error_code == 40403


def test_incompatible_schema_is_a_409(registry: Registry, topic: str) -> None:
    registry.register(f"{topic}-value", V1)
    result = registry.check_compatibility(f"{topic}-value", BREAKING)
    assert not result.is_compatible
    assert result.messages
    assert registry.check_compatibility(f"{topic}-value", V2).is_compatible
    with pytest.raises(IncompatibleSchemaError) as info:
        registry.register(f"{topic}-value", BREAKING)
    assert info.value.status == 409


def test_invalid_schema_carries_42201(registry: Registry, topic: str) -> None:
    with pytest.raises(RegistryError) as info:
        registry.register(f"{topic}-value", '{"type": "record", "name": "X"}')
    assert info.value.error_code == 42201
    assert not isinstance(info.value, SchemaNotFoundError)


def test_config_and_delete(registry: Registry, topic: str) -> None:
    subject = f"{topic}-value"
    registry.register(subject, V1)
    assert registry.set_compatibility("NONE", subject) == "NONE"
    assert registry.get_compatibility(subject) == "NONE"
    registry.register(subject, BREAKING)  # allowed at NONE
    assert registry.delete_subject(subject) == [1, 2]
    with pytest.raises(SchemaNotFoundError):
        registry.latest(subject)


def test_unreachable_registry_is_unavailable_after_retries() -> None:
    client = Registry(f"http://127.0.0.1:{free_port()}", retries=2, backoff_s=0.01)
    with client, pytest.raises(RegistryUnavailableError) as info:
        client.get_schema(1)
    assert "3 attempt(s)" in str(info.value)


def test_5xx_is_retried_with_backoff(registry_url: str, topic: str) -> None:
    with fault_proxy(registry_url) as (url, proxy), Registry(url, retries=3, backoff_s=0.01) as c:
        proxy.fail_next = 2
        schema_id = c.register(f"{topic}-value", V1)
        assert len(proxy.requests) == 3
        assert c.get_schema(schema_id).schema_id == schema_id
        proxy.fail_next = 10
        with pytest.raises(RegistryUnavailableError) as info:
            c.latest(f"{topic}-value")
        assert (info.value.status, info.value.error_code) == (503, 50001)


def test_schema_by_id_is_cached_and_latest_expires(registry_url: str, topic: str) -> None:
    subject = f"{topic}-value"
    with fault_proxy(registry_url) as (url, proxy), Registry(url, latest_ttl_s=0) as client:
        schema_id = client.register(subject, V1)
        for _ in range(5):
            client.get_schema(schema_id)
            client.register(subject, V1)
        by_id = [r for r in proxy.requests if r.startswith("GET /schemas/ids/")]
        assert len(by_id) == 1
        assert len([r for r in proxy.requests if r.startswith("POST")]) == 1
        client.latest(subject)
        client.latest(subject)
        assert len([r for r in proxy.requests if "versions/latest" in r]) == 2
    with fault_proxy(registry_url) as (url, proxy), Registry(url, latest_ttl_s=300) as client:
        client.latest(subject)
        client.latest(subject)
        assert len(proxy.requests) == 1


def test_one_client_serves_many_threads(registry: Registry, topic: str) -> None:
    errors: list[BaseException] = []
    ids: set[int] = set()

    def work(n: int) -> None:
        try:
            schema = json.dumps(
                {"type": "record", "name": f"R{n % 4}", "fields": [{"name": "a", "type": "int"}]}
            )
            schema_id = registry.register(f"{topic}-{n % 4}", schema)
            assert (
                registry.get_schema(schema_id).schema == registry.latest(f"{topic}-{n % 4}").schema
            )
            ids.add(schema_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ids) == 4


def test_config_of_a_subject_with_and_without_its_own(registry: Registry, topic: str) -> None:
    subject = f"{topic}-value"
    registry.register(subject, V1)
    assert registry.get_config(subject) is None  # follows the global config
    inherited = registry.get_config(subject, default_to_global=True)
    assert inherited is not None and inherited.compatibility == registry.get_compatibility()
    registry.set_compatibility("FULL_TRANSITIVE", subject)
    own = registry.get_config(subject)
    assert own is not None and own.compatibility == "FULL_TRANSITIVE"
    assert registry.get_config(subject, default_to_global=True) == own
    everywhere = registry.get_config()
    assert everywhere is not None and everywhere.compatibility == registry.get_compatibility()


def test_import_mode_keeps_the_copied_id_and_version(registry: Registry, topic: str) -> None:
    subject = f"{topic}-value"
    with pytest.raises(RegistryError) as no_mode:
        registry.get_mode(subject)
    assert no_mode.value.error_code == 40409
    assert registry.get_mode(subject, default_to_global=True) == registry.get_mode()
    assert registry.set_mode("import", subject) == "IMPORT"
    assert registry.get_mode(subject) == "IMPORT"
    schema_id = 777_001  # far above the ids the shared registry assigns by itself
    fields = [{"name": "id", "type": "string"}]
    copy = json.dumps({"type": "record", "name": f"Copy{topic}", "fields": fields})
    other = json.dumps({"type": "record", "name": f"Other{topic}", "fields": fields})
    assert registry.register(subject, copy, schema_id=schema_id, version=7) == schema_id
    assert registry.versions(subject) == [7]
    copied = registry.get_version(subject, 7)
    assert (copied.schema_id, copied.version, copied.subject) == (schema_id, 7, subject)
    with pytest.raises(RegistryError) as refused:  # the same id may not hold another schema
        registry.register(subject, other, schema_id=schema_id, version=8)
    assert refused.value.status == 422
    assert registry.versions(subject) == [7]
    assert registry.set_mode("READWRITE", subject) == "READWRITE"
