"""The registry as the broker's contract source: `broker.Contracts` on top of the store.

A schema under an id never changes, so decoders are built once per id and kept; whether an id
is live in a subject can change (deletes), so that answer is cached only for `ttl_s`.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

import fastavro
import orjson

from compat import Schema
from compat.avro import AvroSchema
from compat.json_schema import JsonSchema
from registry.store import Store

__all__ = ["StoreContracts"]

Check = Callable[[bytes], str | None]


class StoreContracts:
    """Answers the broker's `is_registered` and `validate` from the registry's store."""

    def __init__(self, store: Store, *, ttl_s: float = 5.0) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._checks: dict[int, Check] = {}
        self._live: dict[tuple[str, int], tuple[float, bool]] = {}

    def is_registered(self, subject: str, schema_id: int) -> bool:
        key = (subject, schema_id)
        now = time.monotonic()
        cached = self._live.get(key)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        live = self._store.is_live_in(subject, schema_id)
        with self._lock:
            self._live[key] = (now, live)
        return live

    def validate(self, subject: str, schema_id: int, payload: bytes) -> str | None:
        check = self._checks.get(schema_id)
        if check is None:
            schema = self._store.parsed_schema(schema_id)
            if schema is None:
                return f"schema id {schema_id} does not exist"
            check = _check_for(schema)
            with self._lock:
                self._checks[schema_id] = check
        return check(payload)


def _check_for(schema: Schema) -> Check:
    if isinstance(schema, AvroSchema):
        return _avro_check(schema)
    if isinstance(schema, JsonSchema):
        return _json_check(schema)
    raise TypeError(f"no payload check for {schema.schema_type} schemas")


def _avro_check(schema: AvroSchema) -> Check:
    parsed = schema.parsed

    def check(payload: bytes) -> str | None:
        stream = io.BytesIO(payload)
        try:
            fastavro.schemaless_reader(stream, parsed, None)
        except Exception as exc:  # fastavro raises many unrelated types for bad bytes
            return f"not Avro binary of this schema ({type(exc).__name__}: {exc})"
        left = len(payload) - stream.tell()
        if left:
            return f"{left} bytes are left over after the Avro value"
        return None

    return check


def _json_check(schema: JsonSchema) -> Check:
    validator = schema.validator

    def check(payload: bytes) -> str | None:
        try:
            instance = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            return f"not UTF-8 JSON ({exc})"
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if not errors:
            return None
        first = errors[0]
        where = "/" + "/".join(str(p) for p in first.absolute_path)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"at {where}: {first.message}{more}"

    return check
