"""The registry as the broker's contract source: `broker.Contracts` on top of the service.

`validate` checks a payload against its schema, then holds the decoded value to the schema's
WRITE and WRITEREAD domain rules through `rules`, a `DomainRules` the caller hands in (the SDK's
rule engine, `sdk.rules.write_conditions`, wired by `charter serve`: the registry does not import
the SDK). A CONDITION or CEL_FIELD condition that fails with `onFailure` ERROR (or unset)
refuses the record like a schema violation, so a producer that skips the SDK is still held to
the contract. The broker does not rewrite records, so transforms do not run, and a failure
whose action is NONE or DLQ lets the record through. Without `rules`, only schemas are checked.

Schemas and payload checks come from the service's memory, kept exact by its invalidation;
the rule checks built from them are kept here by schema id, schema text and rule-set text,
so a kept check is always the one the stored schema would build.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import fastavro
import orjson

from compat import Schema, SchemaType
from compat.avro import AvroSchema
from compat.json_schema import JsonSchema
from compat.protobuf import ProtobufSchema
from registry.service import RegistryService

__all__ = ["DomainRules", "Refusal", "RegistryContracts"]

CHECKS_MAX = 512  # rule checks kept, one per schema id with domain rules

Refusal = Callable[[Any, str], str | None]
"""(decoded value, subject) → why the value is refused, None when it passes."""


class DomainRules(Protocol):
    """Builds the check of a schema's write conditions, None when no rule runs on write.
    `walked` is fastavro's parsed Avro schema or the JSON Schema document (None for Protobuf,
    whose values take message-level rules only); `referenced` the documents a JSON Schema's
    `$ref`s name."""

    def __call__(
        self, rule_set: str, metadata: str | None, schema_type: str, walked: Any,
        referenced: Mapping[str, Any] | None,
    ) -> Refusal | None: ...


class RegistryContracts:
    """Answers the broker's `is_registered` and `validate` from the registry's service."""

    def __init__(self, service: RegistryService, rules: DomainRules | None = None) -> None:
        self._service = service
        self._rules = rules
        self._checks: OrderedDict[tuple[int, str, str], Refusal | None] = OrderedDict()
        self._lock = threading.Lock()

    def is_registered(self, subject: str, schema_id: int) -> bool:
        return self._service.is_live_in(subject, schema_id)

    def validate(self, subject: str, schema_id: int, payload: bytes) -> str | None:
        check = self._service.payload_check(schema_id)
        if check is None:
            return f"schema id {schema_id} does not exist"
        problem = check(payload)
        if problem is not None:
            return problem
        return self._rules_refuse(subject, schema_id, payload)

    def _rules_refuse(self, subject: str, schema_id: int, payload: bytes) -> str | None:
        if self._rules is None:
            return None
        stored = self._service.schema_by_id(schema_id)
        rule_set = stored.contract.rule_set if stored is not None else None
        if not rule_set or '"domainRules"' not in rule_set:
            return None
        assert stored is not None
        refusal = self._check(self._rules, schema_id, stored.text, rule_set,
                              stored.contract.metadata)
        if refusal is None:
            return None
        parsed = self._service.parsed_schema(schema_id)
        if parsed is None:
            return f"schema id {schema_id} does not exist"
        return refusal(_decode(parsed, payload), subject)

    def _check(
        self, rules: DomainRules, schema_id: int, text: str, rule_set: str, metadata: str | None
    ) -> Refusal | None:
        key = (schema_id, text, rule_set)
        with self._lock:
            if key in self._checks:
                self._checks.move_to_end(key)
                return self._checks[key]
        parsed = self._service.parsed_schema(schema_id)
        if parsed is None:
            return None
        referenced = ({name: dep.document for name, dep in parsed.dependencies}
                      if isinstance(parsed, JsonSchema) else None)
        refusal = rules(rule_set, metadata, parsed.schema_type.value, _walked(parsed),
                        referenced)
        with self._lock:
            self._checks[key] = refusal
            while len(self._checks) > CHECKS_MAX:
                self._checks.popitem(last=False)
        return refusal


def _walked(schema: Schema) -> Any:
    """What a rule engine walks fields with: fastavro's parsed Avro schema, the JSON Schema
    document; Protobuf values take message-level rules only."""
    if isinstance(schema, AvroSchema):
        return schema.parsed
    if isinstance(schema, JsonSchema):
        return schema.document
    return None


def _decode(schema: Schema, payload: bytes) -> Any:
    """The value of a payload the schema's check accepted."""
    if schema.schema_type is SchemaType.AVRO:
        assert isinstance(schema, AvroSchema)
        return fastavro.schemaless_reader(io.BytesIO(payload), schema.parsed, None)
    if schema.schema_type is SchemaType.JSON:
        return orjson.loads(payload)
    assert isinstance(schema, ProtobufSchema)
    from google.protobuf import message_factory

    from compat.protobuf.indexes import message_name, read_message_indexes

    path, offset = read_message_indexes(payload)
    descriptor = schema.pool.FindMessageTypeByName(message_name(schema.file, path))
    message = message_factory.GetMessageClass(descriptor)()
    message.ParseFromString(payload[offset:])
    return message
