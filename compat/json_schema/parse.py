"""Parsing JSON Schema: draft detection, meta-validation, references, canonical forms.

Foreign errors (json, jsonschema, referencing) are translated into `SchemaParseError` here and
nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

import jsonschema
import jsonschema.exceptions
import jsonschema.protocols
import referencing
import referencing.exceptions
import referencing.jsonschema

from compat.errors import ReferenceResolutionError, SchemaParseError
from compat.json_schema.keywords import LISTS, MAPS, SINGLE, iter_subschemas, pointer
from compat.model import Reference, Resolver, Schema, SchemaSource, SchemaType

__all__ = ["DEFAULT_DRAFT", "DRAFTS", "Draft", "JsonSchema", "parse_json_schema"]

# The base URI of a schema without `$id`: referenced schemas are registered under their
# reference name, which resolves against it to itself.
ROOT_URI = "urn:charter:schema"


@dataclass(frozen=True, slots=True)
class Draft:
    name: str
    validator: type[jsonschema.protocols.Validator]
    specification: referencing.Specification[Any]

    @property
    def legacy(self) -> bool:
        """Drafts up to 7: `$ref` replaces its siblings, `id`/`$id` set the base URI."""
        return self.name in {"draft4", "draft6", "draft7"}


DRAFTS: Mapping[str, Draft] = {
    "json-schema.org/draft-04/schema": Draft(
        "draft4", jsonschema.Draft4Validator, referencing.jsonschema.DRAFT4
    ),
    "json-schema.org/draft-06/schema": Draft(
        "draft6", jsonschema.Draft6Validator, referencing.jsonschema.DRAFT6
    ),
    "json-schema.org/draft-07/schema": Draft(
        "draft7", jsonschema.Draft7Validator, referencing.jsonschema.DRAFT7
    ),
    "json-schema.org/draft/2019-09/schema": Draft(
        "2019-09", jsonschema.Draft201909Validator, referencing.jsonschema.DRAFT201909
    ),
    "json-schema.org/draft/2020-12/schema": Draft(
        "2020-12", jsonschema.Draft202012Validator, referencing.jsonschema.DRAFT202012
    ),
}
DEFAULT_DRAFT = DRAFTS["json-schema.org/draft-07/schema"]  # as Confluent


def _draft_for(document: Any) -> Draft:
    if not isinstance(document, dict) or "$schema" not in document:
        return DEFAULT_DRAFT
    uri = document["$schema"]
    if not isinstance(uri, str):
        raise SchemaParseError("$schema must be a string", location="/$schema")
    key = uri.rstrip("#").removeprefix("https://").removeprefix("http://")
    if key not in DRAFTS:
        raise SchemaParseError(
            f"unsupported $schema {uri!r}; expected draft 4, 6, 7, 2019-09 or 2020-12",
            location="/$schema",
        )
    return DRAFTS[key]


def _json_pointer(path: Iterator[Any] | Any) -> str:
    return pointer(*path)


def _meta_validate(document: Any, draft: Draft) -> None:
    cls = draft.validator
    meta = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
    error = jsonschema.exceptions.best_match(meta.iter_errors(document))
    if error is not None:
        raise SchemaParseError(
            f"not a valid {draft.name} schema: {error.message}",
            location=_json_pointer(error.absolute_path),
        )


def _id_of(node: dict[str, Any], draft: Draft) -> str | None:
    value = node.get("id" if draft.name == "draft4" else "$id")
    return value if isinstance(value, str) else None


class JsonSchema(Schema):
    """A parsed, meta-validated JSON Schema whose references all resolve."""

    schema_type = SchemaType.JSON

    def __init__(
        self,
        source: SchemaSource,
        document: Any,
        draft: Draft,
        dependencies: tuple[tuple[str, JsonSchema], ...],
    ) -> None:
        self.source = source
        self.document = document
        self.draft = draft
        self.dependencies = dependencies  # (reference name, parsed referenced schema)

    def __repr__(self) -> str:
        return f"JsonSchema({self.canonical_text!r})"

    @cached_property
    def canonical_text(self) -> str:
        return json.dumps(self.document, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def normalized_text(self) -> str:
        return json.dumps(
            _normalize(self.document), separators=(",", ":"), sort_keys=True, ensure_ascii=False
        )

    @property
    def base_uri(self) -> str:
        own = _id_of(self.document, self.draft) if isinstance(self.document, dict) else None
        return own or ROOT_URI

    @cached_property
    def registry(self) -> referencing.Registry[Any]:
        """Every document reachable through references, by every URI it can be reached at."""
        registry: referencing.Registry[Any] = referencing.Registry()
        base = self.base_uri
        for uri, resource in self._resources(base):
            registry = registry.with_resource(uri, resource)
        registry = registry.with_resource(ROOT_URI, self.resource)
        registry = registry.with_resource(base, self.resource).crawl()
        return registry

    def _resources(self, base: str) -> Iterator[tuple[str, referencing.Resource[Any]]]:
        for name, dependency in self.dependencies:
            location = urljoin(base, name)
            uris = {name, location, dependency.base_uri} - {ROOT_URI}
            for uri in sorted(uris):
                yield uri, dependency.resource
            yield from dependency._resources(location)

    @cached_property
    def resource(self) -> referencing.Resource[Any]:
        return self.draft.specification.create_resource(self.document)

    @cached_property
    def resolver(self) -> referencing._core.Resolver[Any]:
        return self.registry.resolver(base_uri=self.base_uri)

    @cached_property
    def pointers(self) -> dict[int, str]:
        """JSON pointer of every subschema object of the document, by identity."""
        out: dict[int, str] = {}

        def walk(node: Any, path: tuple[str, ...]) -> None:
            if isinstance(node, dict):
                out.setdefault(id(node), pointer(*path))
                for rel, sub in iter_subschemas(node):
                    walk(sub, path + rel)

        walk(self.document, ())
        return out

    @cached_property
    def external_pointers(self) -> dict[int, str]:
        """`name#pointer` of every subschema object of the referenced documents, by identity."""
        out: dict[int, str] = {}
        for name, dependency in self.dependencies:
            for key, where in dependency.pointers.items():
                out.setdefault(key, f"{name}#{where}")
            for key, where in dependency.external_pointers.items():
                out.setdefault(key, where)
        return out

    @cached_property
    def _subtree_texts(self) -> dict[int, str]:
        return {}

    def subtree_text(self, node: Any) -> str | None:
        """Sorted compact JSON of a subschema of this document (None for other objects), so
        that unchanged parts of two schemas can be recognised without walking them."""
        key = id(node)
        if key not in self.pointers:
            return None
        texts = self._subtree_texts
        if key not in texts:
            texts[key] = json.dumps(node, sort_keys=True, separators=(",", ":"))
        return texts[key]

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator:
        return self.draft.validator(self.document, registry=self.registry)


def _normalize(node: Any) -> Any:
    """Set-valued keywords sorted, so that order alone does not make two schemas differ."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in SINGLE or (key == "items" and isinstance(value, dict)):
            out[key] = _normalize(value)
        elif (key in LISTS or key == "items") and isinstance(value, list):
            out[key] = [_normalize(v) for v in value]
        elif (key in MAPS or key == "dependencies") and isinstance(value, dict):
            out[key] = {name: _normalize(sub) for name, sub in value.items()}
        elif key in ("required", "type") and isinstance(value, list) and all(
            isinstance(v, str) for v in value
        ):
            out[key] = sorted(set(value))
        else:
            out[key] = value
    return out


def _check_references(schema: JsonSchema) -> None:
    draft = schema.draft

    def walk(node: Any, resolver: referencing._core.Resolver[Any], path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        if _id_of(node, draft) is not None and path:
            resolver = resolver.in_subresource(draft.specification.create_resource(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolver.lookup(ref)
            except referencing.exceptions.Unresolvable as error:
                raise SchemaParseError(
                    f"$ref {ref!r} cannot be resolved ({type(error).__name__})",
                    location=pointer(*path, "$ref"),
                ) from None
        for rel, sub in iter_subschemas(node):
            walk(sub, resolver, path + rel)

    walk(schema.document, schema.resolver, ())


class _Parser:
    def __init__(self, resolver: Resolver | None) -> None:
        self.resolver = resolver
        self.done: dict[tuple[str, int], JsonSchema] = {}

    def parse(self, source: SchemaSource, stack: tuple[tuple[str, int], ...]) -> JsonSchema:
        try:
            document = json.loads(source.text)
        except json.JSONDecodeError as error:
            raise SchemaParseError(
                f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}"
            ) from None
        except (TypeError, ValueError) as error:
            raise SchemaParseError(f"invalid JSON: {error}") from None
        draft = _draft_for(document)
        _meta_validate(document, draft)
        dependencies = tuple(
            (ref.name, self._dependency(ref, stack)) for ref in source.references
        )
        schema = JsonSchema(source, document, draft, dependencies)
        _check_references(schema)
        return schema

    def _dependency(self, ref: Reference, stack: tuple[tuple[str, int], ...]) -> JsonSchema:
        key = (ref.subject, ref.version)
        if key in stack:
            chain = " -> ".join(f"{s}/{v}" for s, v in (*stack, key))
            raise ReferenceResolutionError(ref.name, f"the references form a cycle: {chain}")
        if key in self.done:
            return self.done[key]
        if self.resolver is None:
            raise ReferenceResolutionError(ref.name, "no resolver was given")
        try:
            source = self.resolver(ref)
        except LookupError as error:
            raise ReferenceResolutionError(
                ref.name, f"subject {ref.subject!r} version {ref.version} not found ({error})"
            ) from None
        if source.schema_type is not SchemaType.JSON:
            raise ReferenceResolutionError(ref.name, f"it is a {source.schema_type} schema")
        try:
            parsed = self.parse(source, (*stack, key))
        except ReferenceResolutionError:
            raise
        except SchemaParseError as error:
            raise ReferenceResolutionError(ref.name, error.message) from None
        self.done[key] = parsed
        return parsed


def parse_json_schema(source: SchemaSource, resolver: Resolver | None = None) -> JsonSchema:
    return _Parser(resolver).parse(source, ())
