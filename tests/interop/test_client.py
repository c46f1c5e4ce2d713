"""confluent-kafka's `SchemaRegistryClient`, unchanged, against a real `charter serve`."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import (
    ConfigCompatibilityLevel,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
    ServerConfig,
)

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "com.acme.orders",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount_cents", "type": "long"},
    ],
}
# Backward compatible with v1: the new field has a default.
ORDER_V2 = {
    **ORDER_V1,
    "fields": [*ORDER_V1["fields"], {"name": "currency", "type": "string", "default": "EUR"}],
}
# Not backward compatible with v2: a new field without a default.
ORDER_BREAKING = {
    **ORDER_V1,
    "fields": [*ORDER_V2["fields"], {"name": "customer", "type": "string"}],
}


def avro(schema: object) -> Schema:
    return Schema(json.dumps(schema), "AVRO")


def error_of(excinfo: pytest.ExceptionInfo[SchemaRegistryError]) -> tuple[int, int]:
    return excinfo.value.http_status_code, excinfo.value.error_code


def test_schema_types_include_avro_and_json(client: SchemaRegistryClient) -> None:
    assert {"AVRO", "JSON"} <= set(client.get_schema_types())


def test_register_then_get_by_id(client: SchemaRegistryClient, subject: str) -> None:
    schema_id = client.register_schema(subject, avro(ORDER_V1))
    assert isinstance(schema_id, int) and schema_id > 0

    fresh = SchemaRegistryClient(client.config())
    fetched = fresh.get_schema(schema_id)
    fresh.close()
    assert fetched.schema_type == "AVRO"
    assert json.loads(fetched.schema_str) == ORDER_V1


def test_registering_again_returns_the_same_id_and_no_new_version(
    client: SchemaRegistryClient, subject: str
) -> None:
    first = client.register_schema(subject, avro(ORDER_V1))
    again = SchemaRegistryClient(client.config())  # bypass the client's id cache
    assert again.register_schema(subject, avro(ORDER_V1)) == first
    again.close()
    assert client.get_versions(subject) == [1]


def test_ids_are_global_across_subjects(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, avro(ORDER_V1))
    other = client.register_schema(f"{subject}-copy", avro(ORDER_V1))
    assert other == first
    # Other tests register the same schema on this shared server: its id is theirs too.
    assert {subject, f"{subject}-copy"} <= set(client.get_subjects_by_schema_id(first))
    pairs = {(v.subject, v.version) for v in client.get_schema_versions(first)}
    assert {(subject, 1), (f"{subject}-copy", 1)} <= pairs


def test_latest_and_by_version(client: SchemaRegistryClient, subject: str) -> None:
    id1 = client.register_schema(subject, avro(ORDER_V1))
    id2 = client.register_schema(subject, avro(ORDER_V2))
    assert id1 != id2

    latest = client.get_latest_version(subject)
    assert (latest.subject, latest.version, latest.schema_id) == (subject, 2, id2)
    assert json.loads(latest.schema.schema_str) == ORDER_V2

    first = client.get_version(subject, 1)
    assert (first.subject, first.version, first.schema_id) == (subject, 1, id1)
    assert json.loads(first.schema.schema_str) == ORDER_V1

    assert client.get_versions(subject) == [1, 2]
    assert subject in client.get_subjects()


def test_lookup(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(ORDER_V1))
    id2 = client.register_schema(subject, avro(ORDER_V2))

    found = client.lookup_schema(subject, avro(ORDER_V2))
    assert (found.subject, found.version, found.schema_id) == (subject, 2, id2)

    with pytest.raises(SchemaRegistryError) as missing_schema:
        client.lookup_schema(subject, avro(ORDER_BREAKING))
    assert error_of(missing_schema) == (404, 40403)

    with pytest.raises(SchemaRegistryError) as missing_subject:
        client.lookup_schema(f"{subject}-nobody", avro(ORDER_V1))
    assert error_of(missing_subject) == (404, 40401)


def test_missing_things_have_confluent_error_codes(client: SchemaRegistryClient,
                                                   subject: str) -> None:
    with pytest.raises(SchemaRegistryError) as no_subject:
        client.get_latest_version(subject)
    assert error_of(no_subject) == (404, 40401)

    client.register_schema(subject, avro(ORDER_V1))
    with pytest.raises(SchemaRegistryError) as no_version:
        client.get_version(subject, 7)
    assert error_of(no_version) == (404, 40402)

    with pytest.raises(SchemaRegistryError) as no_schema:
        client.get_schema(2_000_000_000)
    assert error_of(no_schema) == (404, 40403)


def test_set_and_get_subject_compatibility(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(ORDER_V1))
    assert client.get_compatibility() == "BACKWARD"  # the global default

    answer = client.set_compatibility(subject, "FULL")
    assert answer == {"compatibility": "FULL"}
    assert client.get_compatibility(subject) == "FULL"
    assert client.get_compatibility() == "BACKWARD"  # the global level is untouched

    with pytest.raises(SchemaRegistryError) as bad_level:
        client.set_compatibility(subject, "SOMETIMES")
    assert error_of(bad_level) == (422, 42203)


def test_test_compatibility(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(ORDER_V1))
    client.register_schema(subject, avro(ORDER_V2))

    assert client.test_compatibility(subject, avro(ORDER_V2)) is True
    assert client.test_compatibility(subject, avro(ORDER_BREAKING)) is False
    assert client.test_compatibility(subject, avro(ORDER_BREAKING), verbose=True) is False
    assert client.test_compatibility(subject, avro(ORDER_BREAKING), version=1) is False
    assert client.test_compatibility_all_versions(subject, avro(ORDER_V2)) is True
    assert client.test_compatibility_all_versions(subject, avro(ORDER_BREAKING)) is False

    client.set_compatibility(subject, "NONE")
    assert client.test_compatibility(subject, avro(ORDER_BREAKING)) is True


def test_incompatible_registration_is_409_and_stores_nothing(
    client: SchemaRegistryClient, subject: str
) -> None:
    client.register_schema(subject, avro(ORDER_V1))
    client.register_schema(subject, avro(ORDER_V2))

    with pytest.raises(SchemaRegistryError) as excinfo:
        client.register_schema(subject, avro(ORDER_BREAKING))
    assert excinfo.value.http_status_code == 409
    assert excinfo.value.error_code == 409
    assert client.get_versions(subject) == [1, 2]
    with pytest.raises(SchemaRegistryError):
        client.lookup_schema(subject, avro(ORDER_BREAKING))


def test_invalid_schema_is_42201(client: SchemaRegistryClient, subject: str) -> None:
    with pytest.raises(SchemaRegistryError) as excinfo:
        client.register_schema(subject, Schema('{"type": "record", "name": "X"}', "AVRO"))
    assert error_of(excinfo) == (422, 42201)
    assert subject not in client.get_subjects()


def test_soft_then_permanent_version_delete(client: SchemaRegistryClient, subject: str) -> None:
    client.set_compatibility(subject, "NONE")
    client.register_schema(subject, avro(ORDER_V1))
    client.register_schema(subject, avro(ORDER_V2))

    # Permanent delete needs a soft delete first.
    with pytest.raises(SchemaRegistryError) as not_soft_deleted:
        client.delete_version(subject, 1, permanent=True)
    assert error_of(not_soft_deleted) == (404, 40407)

    assert client.delete_version(subject, 1) == 1
    assert client.get_versions(subject) == [2]
    assert client.get_versions(subject, deleted=True) == [1, 2]
    assert client.get_version(subject, 1, deleted=True).version == 1
    with pytest.raises(SchemaRegistryError) as hidden:
        SchemaRegistryClient(client.config()).get_version(subject, 1)
    assert error_of(hidden) == (404, 40402)

    with pytest.raises(SchemaRegistryError) as twice:
        client.delete_version(subject, 1)
    assert error_of(twice) == (404, 40406)

    assert client.delete_version(subject, 1, permanent=True) == 1
    assert client.get_versions(subject, deleted=True) == [2]

    # Versions are never reused, even after a permanent delete.
    client.register_schema(subject, avro(ORDER_V1))
    assert client.get_versions(subject) == [2, 3]


def test_soft_then_permanent_subject_delete(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(ORDER_V1))
    client.register_schema(subject, avro(ORDER_V2))

    with pytest.raises(SchemaRegistryError) as not_soft_deleted:
        client.delete_subject(subject, permanent=True)
    assert error_of(not_soft_deleted) == (404, 40405)

    assert client.delete_subject(subject) == [1, 2]
    assert subject not in client.get_subjects()
    assert subject in client.get_subjects(deleted=True)
    with pytest.raises(SchemaRegistryError) as gone:
        client.get_latest_version(subject)
    assert error_of(gone) == (404, 40401)

    with pytest.raises(SchemaRegistryError) as twice:
        client.delete_subject(subject)
    assert error_of(twice) == (404, 40404)

    assert client.delete_subject(subject, permanent=True) == [1, 2]
    assert subject not in client.get_subjects(deleted=True)
    with pytest.raises(SchemaRegistryError) as no_versions:
        client.get_versions(subject, deleted=True)
    assert error_of(no_versions) == (404, 40401)


def test_references_and_referenced_by(client: SchemaRegistryClient, subject: str) -> None:
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "com.acme.common",
        "fields": [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string"}],
    }
    invoice = {
        "type": "record",
        "name": "Invoice",
        "namespace": "com.acme.billing",
        "fields": [{"name": "total", "type": "com.acme.common.Money"}],
    }
    money_subject = f"{subject}-money"
    money_id = client.register_schema(money_subject, avro(money))
    reference = SchemaReference("com.acme.common.Money", money_subject, 1)
    invoice_id = client.register_schema(
        subject, Schema(json.dumps(invoice), "AVRO", references=[reference])
    )
    assert invoice_id != money_id

    registered = client.get_latest_version(subject)
    assert [(r.name, r.subject, r.version) for r in registered.schema.references] == [
        ("com.acme.common.Money", money_subject, 1)
    ]
    assert client.get_referenced_by(money_subject, 1) == [invoice_id]

    with pytest.raises(SchemaRegistryError) as still_referenced:
        client.delete_version(money_subject, 1)
    assert error_of(still_referenced) == (422, 42206)


def test_whitespace_does_not_make_a_new_schema(client: SchemaRegistryClient, subject: str) -> None:
    compact = Schema(json.dumps(ORDER_V1, separators=(",", ":")), "AVRO")
    pretty = Schema(json.dumps(ORDER_V1, indent=4), "AVRO")
    first = client.register_schema(subject, compact)
    assert SchemaRegistryClient(client.config()).register_schema(subject, pretty) == first
    assert client.get_versions(subject) == [1]
    assert client.lookup_schema(subject, pretty).version == 1


def test_get_schema_scoped_to_a_subject_keeps_doc_and_custom_properties(
    client: SchemaRegistryClient, subject: str
) -> None:
    documented = {**ORDER_V1, "doc": "An order as placed.", "x-owner": "team-orders"}
    schema_id = client.register_schema(subject, avro(documented))
    fetched = SchemaRegistryClient(client.config()).get_schema(schema_id, subject_name=subject)
    assert json.loads(fetched.schema_str) == documented


def test_server_config_set_get_delete(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(ORDER_V1))
    with pytest.raises(SchemaRegistryError) as no_config:
        client.get_config(subject)
    assert error_of(no_config) == (404, 40408)

    client.set_config(subject, ServerConfig(compatibility=ConfigCompatibilityLevel.FORWARD))
    assert client.get_config(subject).compatibility_level == ConfigCompatibilityLevel.FORWARD
    assert client.get_config().compatibility_level == ConfigCompatibilityLevel.BACKWARD

    deleted = client.delete_config(subject)
    assert deleted.compatibility_level == ConfigCompatibilityLevel.FORWARD
    with pytest.raises(SchemaRegistryError) as gone:
        client.get_compatibility(subject)
    assert error_of(gone) == (404, 40408)


def test_read_only_subject_refuses_writes(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(ORDER_V1))
    assert client.get_global_mode() == "READWRITE"
    with pytest.raises(SchemaRegistryError) as no_mode:
        client.get_mode(subject)
    assert error_of(no_mode) == (404, 40409)

    assert client.update_mode(subject, "READONLY") == "READONLY"
    assert client.get_mode(subject) == "READONLY"
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, avro(ORDER_V2))
    assert error_of(refused) == (422, 42205)
    assert client.get_versions(subject) == [1]
    # Reads still work.
    assert client.lookup_schema(subject, avro(ORDER_V1)).version == 1

    with pytest.raises(SchemaRegistryError) as bad_mode:
        client.update_mode(subject, "SOMETIMES")
    assert error_of(bad_mode) == (422, 42204)

    assert client.delete_mode(subject) == "READONLY"
    assert client.register_schema(subject, avro(ORDER_V2)) > 0
    assert client.get_versions(subject) == [1, 2]


def test_lookup_of_a_soft_deleted_version_needs_deleted(client: SchemaRegistryClient,
                                                        subject: str) -> None:
    client.set_compatibility(subject, "NONE")
    id1 = client.register_schema(subject, avro(ORDER_V1))
    client.register_schema(subject, avro(ORDER_V2))
    client.delete_version(subject, 1)

    with pytest.raises(SchemaRegistryError) as hidden:
        SchemaRegistryClient(client.config()).lookup_schema(subject, avro(ORDER_V1))
    assert error_of(hidden) == (404, 40403)
    found = SchemaRegistryClient(client.config()).lookup_schema(subject, avro(ORDER_V1),
                                                                deleted=True)
    assert (found.version, found.schema_id) == (1, id1)


def test_a_soft_deleted_schema_is_still_served_by_id(client: SchemaRegistryClient,
                                                     subject: str) -> None:
    """Consumers must still read messages written before the subject was soft-deleted."""
    schema_id = client.register_schema(subject, avro(ORDER_V1))
    client.delete_subject(subject)
    fetched = SchemaRegistryClient(client.config()).get_schema(schema_id)
    assert json.loads(fetched.schema_str) == ORDER_V1


@pytest.mark.parametrize("suffix", ["a/b", "with space", "ünïcödé-😀", "x:y", "per%41cent",
                                    "q?x=1&y#z", "..", "dots.and-dashes_"])
def test_odd_subject_names_round_trip_through_the_client(client: SchemaRegistryClient,
                                                         subject: str, suffix: str) -> None:
    name = f"{subject}-{suffix}"
    schema_id = client.register_schema(name, avro(ORDER_V1))
    assert name in client.get_subjects()
    latest = client.get_latest_version(name)
    assert (latest.subject, latest.version, latest.schema_id) == (name, 1, schema_id)
    assert client.lookup_schema(name, avro(ORDER_V1)).subject == name
    assert name in client.get_subjects_by_schema_id(schema_id)
    client.set_compatibility(name, "NONE")
    assert client.get_compatibility(name) == "NONE"
    assert client.delete_subject(name) == [1]
    assert client.delete_subject(name, permanent=True) == [1]
    assert name not in client.get_subjects(deleted=True)
