"""Strict validation of Python values against a JSON Schema, compiled once per schema.

jsonschema-rs does the validation with `format` asserted (so `date-time` rejects
2026-02-30T00:00:00Z); `referenced` supplies the schemas that `$ref`s name, by reference name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sdk.errors import ConfigurationError, Violation

__all__ = ["JsonValidator", "check_json_schema"]


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def check_json_schema(schema: Any) -> None:
    """Meta-validate `schema` with python-jsonschema; `ConfigurationError` if it is invalid."""
    import jsonschema
    import jsonschema.exceptions

    if not isinstance(schema, (Mapping, bool)):
        raise ConfigurationError(f"a JSON Schema is an object or a boolean, not {schema!r}")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise ConfigurationError(f"invalid JSON Schema: {exc.message}") from None


class JsonValidator:
    """Validator for one JSON Schema; `is_valid` is the hot path, `violations` explains."""

    def __init__(self, schema: Any, *, referenced: Mapping[str, Any] | None = None) -> None:
        import jsonschema_rs

        options: dict[str, Any] = {"validate_formats": True}
        if referenced:
            options["registry"] = jsonschema_rs.Registry(list(referenced.items()))
        try:
            self._validator = jsonschema_rs.validator_for(schema, **options)
        except (ValueError, jsonschema_rs.ReferencingError) as exc:
            raise ConfigurationError(f"cannot compile JSON Schema: {exc}") from None
        # jsonschema-rs's own check, for hot paths: it raises ValueError for a Python value
        # with no JSON form (never for what a JSON parser returned); is_valid says False
        self.check_json: Callable[[Any], bool] = self._validator.is_valid

    def is_valid(self, value: Any) -> bool:
        try:
            return bool(self._validator.is_valid(value))
        except ValueError:  # a Python value with no JSON form (e.g. a set or datetime)
            return False

    def violations(self, value: Any) -> list[Violation]:
        try:
            return [
                Violation(_pointer(error.instance_path), error.message)
                for error in self._validator.iter_errors(value)
            ]
        except ValueError as exc:
            return [Violation("", f"value has no JSON form: {exc}")]
