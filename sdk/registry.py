"""A client for the registry's HTTP API (Confluent Schema Registry's REST API, version 1).

Schemas by id are cached for good (a schema under an id never changes), the latest version of
a subject for `latest_ttl_s`. Connection errors and 5xx answers are retried with exponential
back-off; error answers become the typed errors of `sdk.errors`. One `Registry` can be shared
by every thread of a process.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sdk.errors import (
    IncompatibleSchemaError,
    RegistryError,
    RegistryUnavailableError,
    SchemaNotFoundError,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CompatibilityResult",
    "RegisteredSchema",
    "Registry",
    "RegistryConfig",
    "SchemaReference",
]

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_NOT_FOUND_CODES = frozenset({40401, 40402, 40403})


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A named pointer to a version of another subject's schema (Confluent's references)."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """A schema as the registry holds it. `subject`/`version` are set when known."""

    schema_id: int
    schema: str
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()
    subject: str | None = None
    version: int | None = None
    # Confluent 8 data contracts, when the registry has them: the schema's GUID, and its
    # metadata and rule set as JSON text.
    guid: str | None = None
    metadata: str | None = None
    rule_set: str | None = None


def _json_text(value: object) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


@dataclass(frozen=True, slots=True)
class CompatibilityResult:
    is_compatible: bool
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """A subject's (or the registry's) compatibility configuration, as `/config` answers it.

    `compatibility` is a Confluent level name; `policy` is Charter's JSON Schema policy (STRICT
    or LENIENT) when one is set; `normalize` is the registry's default for `normalize=true`.
    """

    compatibility: str
    policy: str | None = None
    normalize: bool | None = None
    # Confluent's data-contract settings, as the registry answers them (None: unset)
    compatibility_group: str | None = None
    alias: str | None = None
    validate_fields: bool | None = None
    default_metadata: Any = None
    override_metadata: Any = None
    default_rule_set: Any = None
    override_rule_set: Any = None

    def body(self) -> dict[str, Any]:
        """The `PUT /config` body that sets this configuration (unset fields left out)."""
        fields = {
            "compatibility": self.compatibility,
            "compatibilityPolicy": self.policy,
            "normalize": self.normalize,
            "compatibilityGroup": self.compatibility_group,
            "alias": self.alias,
            "validateFields": self.validate_fields,
            "defaultMetadata": self.default_metadata,
            "overrideMetadata": self.override_metadata,
            "defaultRuleSet": self.default_rule_set,
            "overrideRuleSet": self.override_rule_set,
        }
        return {k: v for k, v in fields.items() if v is not None}


def _references(body: Mapping[str, Any]) -> tuple[SchemaReference, ...]:
    return tuple(
        SchemaReference(r["name"], r["subject"], int(r["version"]))
        for r in body.get("references") or ()
    )


def _quote(subject: str) -> str:
    return quote(subject, safe="")


class Registry:
    """Registry client. `auth` is a (key, secret) pair for HTTP Basic or an `httpx.Auth`;
    `token` a bearer token (an OIDC JWT). Give one of them, or neither."""

    def __init__(
        self,
        url: str,
        *,
        auth: tuple[str, str] | httpx.Auth | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_s: float = 0.1,
        backoff_max_s: float = 2.0,
        latest_ttl_s: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        import httpx

        from sdk.credentials import credential_headers

        self.url = url.rstrip("/")
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.latest_ttl_s = latest_ttl_s
        self._httpx = httpx
        self._client = httpx.Client(
            base_url=self.url,
            auth=auth,
            timeout=timeout_s,
            headers={
                "Accept": _CONTENT_TYPE,
                "Content-Type": _CONTENT_TYPE,
                **credential_headers(auth, token),
                **(headers or {}),
            },
        )
        self._lock = threading.Lock()
        self._by_id: dict[int, RegisteredSchema] = {}
        self._by_guid: dict[str, int] = {}
        self._by_version: dict[tuple[str, int], RegisteredSchema] = {}
        self._latest: dict[str, tuple[float, RegisteredSchema]] = {}
        self._ids: dict[tuple[str, str, str, tuple[SchemaReference, ...], bool], int] = {}
        self._answers: dict[
            tuple[str, str, str, tuple[SchemaReference, ...], bool], RegisteredSchema
        ] = {}

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def clear_caches(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._by_guid.clear()
            self._by_version.clear()
            self._latest.clear()
            self._ids.clear()
            self._answers.clear()

    # --- reads -----------------------------------------------------------------------------

    def get_schema(self, schema_id: int) -> RegisteredSchema:
        """The schema registered under `schema_id` (cached for good)."""
        found = self._by_id.get(schema_id)
        if found is not None:
            return found
        body = self._request("GET", f"/schemas/ids/{int(schema_id)}")
        found = RegisteredSchema(
            schema_id=int(schema_id),
            schema=body["schema"],
            schema_type=body.get("schemaType") or "AVRO",
            references=_references(body),
            guid=body.get("guid"),
            metadata=_json_text(body.get("metadata")),
            rule_set=_json_text(body.get("ruleSet")),
        )
        with self._lock:
            self._by_id[schema_id] = found
        return found

    def schema_id_of_guid(self, guid: str) -> int:
        """The id of the schema with this GUID (a record's `__value_schema_id` header names
        the GUID), cached for good: a GUID never changes its schema."""
        found = self._by_guid.get(guid)
        if found is not None:
            return found
        body = self._request("GET", f"/schemas/guids/{quote(guid, safe='')}/ids")
        first = body[0] if isinstance(body, list) and body else None
        schema_id = first.get("id") if isinstance(first, dict) else first
        if not isinstance(schema_id, int):
            raise RegistryError(f"the registry named no id for schema guid {guid}")
        with self._lock:
            self._by_guid[guid] = schema_id
        return schema_id

    def latest(self, subject: str) -> RegisteredSchema:
        """The latest version of `subject`, cached for `latest_ttl_s` seconds."""
        cached = self._latest.get(subject)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        found = self._version(subject, "latest")
        with self._lock:
            self._latest[subject] = (now + self.latest_ttl_s, found)
        return found

    def get_version(self, subject: str, version: int) -> RegisteredSchema:
        """Version `version` of `subject` (cached: a version's schema never changes)."""
        key = (subject, int(version))
        found = self._by_version.get(key)
        if found is None:
            found = self._version(subject, str(int(version)))
            with self._lock:
                self._by_version[key] = found
        return found

    def _version(self, subject: str, version: str) -> RegisteredSchema:
        body = self._request("GET", f"/subjects/{_quote(subject)}/versions/{version}")
        found = RegisteredSchema(
            schema_id=int(body["id"]),
            schema=body["schema"],
            schema_type=body.get("schemaType") or "AVRO",
            references=_references(body),
            subject=body.get("subject", subject),
            version=int(body["version"]),
            guid=body.get("guid"),
            metadata=_json_text(body.get("metadata")),
            rule_set=_json_text(body.get("ruleSet")),
        )
        with self._lock:
            self._by_id.setdefault(found.schema_id, found)
        return found

    def subjects(self, *, prefix: str | None = None, deleted: bool = False) -> list[str]:
        params: dict[str, Any] = {"deleted": "true"} if deleted else {}
        if prefix:
            params["subjectPrefix"] = prefix
        result: list[str] = self._request("GET", "/subjects", params=params)
        return result

    def versions(self, subject: str) -> list[int]:
        """The live versions of `subject`, oldest first; `SchemaNotFoundError` (40401) if none."""
        result: list[int] = self._request("GET", f"/subjects/{_quote(subject)}/versions")
        return sorted(int(v) for v in result)

    # --- writes ----------------------------------------------------------------------------

    def register(
        self,
        subject: str,
        schema: str,
        schema_type: str = "AVRO",
        references: Sequence[SchemaReference] = (),
        *,
        normalize: bool = False,
        schema_id: int | None = None,
        version: int | None = None,
        guid: str | None = None,
        metadata: str | None = None,
        rule_set: str | None = None,
    ) -> int:
        """Register `schema` under `subject` and return its id (cached per subject and schema).

        `schema_id`, `version` and `guid` keep a copied schema's id, version and GUID; the
        registry accepts them only in IMPORT mode, and such a call always reaches the
        registry. `metadata` and `rule_set` (JSON text) are its data contract.
        """
        refs = tuple(references)
        key = (subject, schema_type.upper(), schema, refs, normalize)
        importing = schema_id is not None or version is not None
        contract = guid is not None or metadata is not None or rule_set is not None
        found = None if importing or contract else self._ids.get(key)
        if found is not None:
            return found
        payload = self._schema_body(schema, schema_type, refs)
        if schema_id is not None:
            payload["id"] = int(schema_id)
        if version is not None:
            payload["version"] = int(version)
        if guid is not None:
            payload["guid"] = guid
        if metadata is not None:
            payload["metadata"] = json.loads(metadata)
        if rule_set is not None:
            payload["ruleSet"] = json.loads(rule_set)
        body = self._request(
            "POST",
            f"/subjects/{_quote(subject)}/versions",
            body=payload,
            params={"normalize": "true"} if normalize else None,
        )
        registered = int(body["id"])
        with self._lock:
            self._ids[key] = registered
            self._latest.pop(subject, None)
        self._answers[key] = RegisteredSchema(
            schema_id=registered,
            schema=schema,
            schema_type=schema_type.upper(),
            references=refs,
            subject=subject,
            version=int(body["version"]) if "version" in body else None,
            guid=body.get("guid"),
            metadata=_json_text(body.get("metadata")),
            rule_set=_json_text(body.get("ruleSet")),
        )
        return registered

    def register_schema(
        self,
        subject: str,
        schema: str,
        schema_type: str = "AVRO",
        references: Sequence[SchemaReference] = (),
        *,
        normalize: bool = False,
    ) -> RegisteredSchema:
        """Register `schema` under `subject`; the registry's whole answer (GUID and the data
        contract it merged in included). Asks the registry once per subject and schema."""
        key = (subject, schema_type.upper(), schema, tuple(references), normalize)
        found = self._answers.get(key)
        if found is None:
            self._ids.pop(key, None)
            self.register(subject, schema, schema_type, references, normalize=normalize)
            found = self._answers[key]
        return found

    def lookup(
        self,
        subject: str,
        schema: str,
        schema_type: str = "AVRO",
        references: Sequence[SchemaReference] = (),
        *,
        normalize: bool = False,
    ) -> RegisteredSchema:
        """The version of `subject` holding `schema`; `SchemaNotFoundError` if it has none."""
        refs = tuple(references)
        body = self._request(
            "POST",
            f"/subjects/{_quote(subject)}",
            body=self._schema_body(schema, schema_type, refs),
            params={"normalize": "true"} if normalize else None,
        )
        found = RegisteredSchema(
            schema_id=int(body["id"]),
            schema=body.get("schema", schema),
            schema_type=body.get("schemaType") or schema_type.upper(),
            references=_references(body) or refs,
            subject=body.get("subject", subject),
            version=int(body["version"]) if "version" in body else None,
            guid=body.get("guid"),
            metadata=_json_text(body.get("metadata")),
            rule_set=_json_text(body.get("ruleSet")),
        )
        with self._lock:
            self._ids[(subject, schema_type.upper(), schema, refs, normalize)] = found.schema_id
        return found

    def check_compatibility(
        self,
        subject: str,
        schema: str,
        schema_type: str = "AVRO",
        references: Sequence[SchemaReference] = (),
        *,
        version: int | str = "latest",
    ) -> CompatibilityResult:
        """Whether `schema` may be registered after `version` of `subject`, with the reasons."""
        body = self._request(
            "POST",
            f"/compatibility/subjects/{_quote(subject)}/versions/{version}",
            body=self._schema_body(schema, schema_type, tuple(references)),
            params={"verbose": "true"},
        )
        return CompatibilityResult(
            bool(body.get("is_compatible")), tuple(body.get("messages") or ())
        )

    def get_compatibility(self, subject: str | None = None) -> str:
        path = f"/config/{_quote(subject)}" if subject else "/config"
        params = {"defaultToGlobal": "true"} if subject else None
        body = self._request("GET", path, params=params)
        return str(body.get("compatibilityLevel") or body.get("compatibility"))

    def set_compatibility(self, level: str, subject: str | None = None) -> str:
        path = f"/config/{_quote(subject)}" if subject else "/config"
        body = self._request("PUT", path, body={"compatibility": level.upper()})
        return str(body.get("compatibility") or body.get("compatibilityLevel"))

    def get_config(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> RegistryConfig | None:
        """The configuration of `subject` (the global one without a subject); None when the
        subject has none of its own (HTTP 404) and `default_to_global` is not set."""
        path = f"/config/{_quote(subject)}" if subject else "/config"
        params = {"defaultToGlobal": "true"} if subject and default_to_global else None
        try:
            body = self._request("GET", path, params=params)
        except RegistryError as exc:
            if exc.status == 404 and subject:
                return None
            raise
        normalize = body.get("normalize")
        validate = body.get("validateFields")
        return RegistryConfig(
            compatibility=str(body.get("compatibilityLevel") or body.get("compatibility")),
            policy=body.get("compatibilityPolicy"),
            normalize=normalize if isinstance(normalize, bool) else None,
            compatibility_group=body.get("compatibilityGroup"),
            alias=body.get("alias"),
            validate_fields=validate if isinstance(validate, bool) else None,
            default_metadata=body.get("defaultMetadata"),
            override_metadata=body.get("overrideMetadata"),
            default_rule_set=body.get("defaultRuleSet"),
            override_rule_set=body.get("overrideRuleSet"),
        )

    def set_config(self, config: RegistryConfig, subject: str | None = None) -> None:
        """Set every field `config` has (the global configuration without a subject)."""
        path = f"/config/{_quote(subject)}" if subject else "/config"
        self._request("PUT", path, body=config.body())

    def get_mode(self, subject: str | None = None, *, default_to_global: bool = False) -> str:
        """READWRITE, READONLY or IMPORT, for `subject` or the whole registry. A subject with
        no mode of its own is a `RegistryError` (40409) unless `default_to_global` is set."""
        path = f"/mode/{_quote(subject)}" if subject else "/mode"
        params = {"defaultToGlobal": "true"} if subject and default_to_global else None
        return str(self._request("GET", path, params=params).get("mode"))

    def set_mode(self, mode: str, subject: str | None = None, *, force: bool = False) -> str:
        """Set the mode; `force` allows IMPORT on a registry or subject that has schemas."""
        path = f"/mode/{_quote(subject)}" if subject else "/mode"
        params = {"force": "true"} if force else None
        body = self._request("PUT", path, body={"mode": mode.upper()}, params=params)
        return str(body.get("mode"))

    def delete_mode(self, subject: str) -> str:
        """Remove a subject's (or a context's, `:.ctx:`) own mode; the mode it had."""
        return str(self._request("DELETE", f"/mode/{_quote(subject)}").get("mode"))

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Delete `subject` (soft, or `permanent` after a soft delete); the versions deleted."""
        params = {"permanent": "true"} if permanent else None
        result: list[int] = self._request("DELETE", f"/subjects/{_quote(subject)}", params=params)
        with self._lock:  # a permanently deleted subject may get its versions again
            self._latest.pop(subject, None)
            for key in [k for k in self._ids if k[0] == subject]:
                del self._ids[key]
            for key in [k for k in self._answers if k[0] == subject]:
                del self._answers[key]
            for version_key in [k for k in self._by_version if k[0] == subject]:
                del self._by_version[version_key]
        return result

    # --- transport -------------------------------------------------------------------------

    @staticmethod
    def _schema_body(
        schema: str, schema_type: str, references: tuple[SchemaReference, ...]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"schema": schema}
        if schema_type.upper() != "AVRO":
            body["schemaType"] = schema_type.upper()
        if references:
            body["references"] = [r.to_json() for r in references]
        return body

    def _sleep_before(self, attempt: int) -> None:
        delay = min(self.backoff_max_s, self.backoff_s * 2**attempt)
        time.sleep(delay * (0.5 + random.random() / 2))  # jitter spreads retrying clients

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        httpx = self._httpx
        content = json.dumps(body).encode() if body is not None else None
        failure = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep_before(attempt - 1)
            try:
                response = self._client.request(method, path, content=content, params=params)
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code >= 500:
                failure = f"HTTP {response.status_code}: {response.text[:200]}"
                last_status, last_code = response.status_code, _error_code(response)
                if attempt < self.retries:
                    continue
                raise RegistryUnavailableError(
                    f"{method} {path} failed after {attempt + 1} attempt(s): {failure}",
                    status=last_status,
                    error_code=last_code,
                )
            if response.status_code >= 400:
                raise _error_for(method, path, response)
            try:
                return response.json()
            except ValueError:
                raise RegistryError(
                    f"{method} {path}: the registry answered with a body that is not JSON",
                    status=response.status_code,
                ) from None
        raise RegistryUnavailableError(
            f"cannot reach the registry at {self.url}: {method} {path} failed after "
            f"{self.retries + 1} attempt(s): {failure}"
        )


def _error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("error_code")
    except (ValueError, AttributeError):
        return None
    return int(code) if isinstance(code, int) else None


def _error_for(method: str, path: str, response: httpx.Response) -> RegistryError:
    status = response.status_code
    code = _error_code(response)
    try:
        message = str(response.json().get("message") or response.text)
    except (ValueError, AttributeError):
        message = response.text
    text = f"{method} {path}: {message} (HTTP {status}, error_code {code})"
    if status == 409:
        return IncompatibleSchemaError(text, status=status, error_code=code)
    if code in _NOT_FOUND_CODES or (status == 404 and code is None):
        return SchemaNotFoundError(text, status=status, error_code=code)
    return RegistryError(text, status=status, error_code=code)


def references_in_order(
    registry: Registry, references: Iterable[SchemaReference]
) -> list[tuple[SchemaReference, RegisteredSchema]]:
    """Every schema `references` need, dependencies first, each once."""
    seen: set[tuple[str, int]] = set()
    ordered: list[tuple[SchemaReference, RegisteredSchema]] = []

    def visit(ref: SchemaReference, depth: int) -> None:
        if depth > 32:
            raise RegistryError(f"references nest deeper than 32 levels at {ref.name!r}")
        key = (ref.subject, ref.version)
        if key in seen:
            return
        seen.add(key)
        found = registry.get_version(ref.subject, ref.version)
        for inner in found.references:
            visit(inner, depth + 1)
        ordered.append((ref, found))

    for ref in references:
        visit(ref, 0)
    return ordered
