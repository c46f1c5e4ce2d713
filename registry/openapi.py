"""What the OpenAPI document says beyond the routes' signatures: errors and raw-read bodies.

Every error of the service leaves as `{"error_code": int, "message": str}` (`ErrorBody`), in
Confluent's media type from the registry's handlers and the guards in front of the app, or in
`application/json` where a route family answers in it (the broker, its body limit). `errors`
turns status codes into FastAPI `responses=` entries documenting both media types, so a client
or a fuzzer knows every answer a route can give. `json_body` documents a body that a route
reads itself (`registry.http.read_model`, whatever its content type says) as the model it is
validated against, through `openapi_extra`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AUTH",
    "BODY",
    "ERROR_MEDIA_TYPES",
    "REQUEST_MEDIA_TYPES",
    "SERVER",
    "ErrorBody",
    "answers",
    "json_body",
]

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
# Error answers come in Confluent's type (registry, guards) or plain JSON (broker routes).
ERROR_MEDIA_TYPES = (MEDIA_TYPE, "application/json")
# What Confluent's clients send; any JSON type passes the guard.
REQUEST_MEDIA_TYPES = (MEDIA_TYPE, "application/vnd.schemaregistry+json", "application/json")


class ErrorBody(BaseModel):
    """Every error answer: a Confluent-style code (status * 100 + n, or Confluent's own) and a
    message a person can act on."""

    error_code: int
    message: str
    error: str | None = Field(
        default=None, description="Broker routes: the name of the broker's exception"
    )
    detail: dict[str, Any] | None = Field(
        default=None, description="Broker routes: the exception's attributes (limit, offset...)"
    )


DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON, or the path is not valid UTF-8",
    401: "No, unknown or wrong credentials (with `--auth required`; error_code 40101)",
    403: "Outside the key's role or prefixes (with `--auth required`; error_code 40301)",
    404: "No such subject, version, schema, topic, partition, group or member",
    408: "The request body stopped arriving (error_code 40801)",
    409: "Conflicts with what is stored (an incompatible schema, a topic that exists...)",
    413: "The request body is over its route's limit (error_code 41301)",
    415: "A write whose content type a cross-site form could send (error_code 41501)",
    416: "An offset outside the log (error_code 41601)",
    422: "Well-formed but invalid: a schema, level, mode, parameter or value",
    500: "The store failed (error_code 50001); no internal detail is given",
    503: "Out of resources or busy (50301-50303); retry after `Retry-After`",
}

AUTH = (401, 403)  # any route but /health when the server runs with --auth required
SERVER = (422, 500, 503)  # any route: a bad query parameter, the store, exhaustion
BODY = (400, 408, 413, 415)  # a route that reads a request body


def answers(*statuses: int, schema: dict[str, Any] | None = None) -> dict[int | str, Any]:
    """`responses=` entries for these statuses: `schema` (default `ErrorBody`'s) in both of
    the error media types."""
    body = schema or ErrorBody.model_json_schema()
    return {
        status: {
            "description": DESCRIPTIONS[status],
            "content": {media: {"schema": body} for media in ERROR_MEDIA_TYPES},
        }
        for status in sorted(set(statuses))
    }


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body the route reads itself, as `model`."""
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})
    inlined = _inline(schema, definitions)
    return {
        "requestBody": {
            "required": required,
            "content": {media: {"schema": inlined} for media in REQUEST_MEDIA_TYPES},
        }
    }


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """`node` with every `#/$defs/...` reference replaced by its definition: the document's
    components do not hold models that no route declares (the models here do not recurse)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {k: _inline(v, definitions) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, definitions) for v in node]
    return node
