"""The registry as the broker's contract source: `broker.Contracts` on top of the service.

`validate` checks a payload against its schema, then runs the schema's WRITE and WRITEREAD
domain rules on the decoded value (`sdk.rules`, the engine the SDK runs): a CONDITION or
CEL_FIELD condition that fails with `onFailure` ERROR (or unset) refuses the record like a
schema violation, so a producer that skips the SDK is still held to the contract. The broker
does not rewrite records, so transforms do not run, and a failure whose action is NONE or DLQ
lets the record through (the broker has no dead-letter producer of the client's).

Schemas and payload checks come from the service's memory, kept exact by its invalidation;
the rule engines built from them are kept here by schema id, schema text and rule-set text,
so a kept engine is always the one the stored schema would build.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Any

import fastavro
import orjson

from compat import Schema, SchemaType
from compat.avro import AvroSchema
from compat.json_schema import JsonSchema
from compat.protobuf import ProtobufSchema
from registry.service import RegistryService
from sdk.rules import RuleEngine, RuleError

__all__ = ["RegistryContracts"]

ENGINES_MAX = 512  # rule engines kept, one per schema id with domain rules


class RegistryContracts:
    """Answers the broker's `is_registered` and `validate` from the registry's service."""

    def __init__(self, service: RegistryService) -> None:
        self._service = service
        self._engines: OrderedDict[tuple[int, str, str], RuleEngine] = OrderedDict()
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
        stored = self._service.schema_by_id(schema_id)
        rule_set = stored.contract.rule_set if stored is not None else None
        if not rule_set or '"domainRules"' not in rule_set:
            return None
        assert stored is not None
        engine = self._engine(schema_id, stored.text, rule_set, stored.contract.metadata)
        if engine is None or not engine.runs_in("WRITE"):
            return None
        parsed = self._service.parsed_schema(schema_id)
        if parsed is None:
            return f"schema id {schema_id} does not exist"
        try:
            engine.run("WRITE", _decode(parsed, payload), subject=subject, conditions_only=True)
        except RuleError as exc:
            if exc.action in ("NONE", "DLQ"):
                return None
            return exc.message
        return None

    def _engine(
        self, schema_id: int, text: str, rule_set: str, metadata: str | None
    ) -> RuleEngine | None:
        key = (schema_id, text, rule_set)
        with self._lock:
            found = self._engines.get(key)
            if found is not None:
                self._engines.move_to_end(key)
                return found
        parsed = self._service.parsed_schema(schema_id)
        if parsed is None:
            return None
        referenced = ({name: dep.document for name, dep in parsed.dependencies}
                      if isinstance(parsed, JsonSchema) else None)
        engine = RuleEngine.of(rule_set, metadata, parsed.schema_type.value, _walked(parsed),
                               referenced=referenced)
        if engine is None:
            return None
        with self._lock:
            self._engines[key] = engine
            while len(self._engines) > ENGINES_MAX:
                self._engines.popitem(last=False)
        return engine


def _walked(schema: Schema) -> Any:
    """What the rule engine walks fields with: fastavro's parsed Avro schema, the JSON Schema
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
