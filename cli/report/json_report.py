"""`--format json`: the report as one JSON document; its JSON Schema is `SCHEMA` (docs/cli.md)."""

from __future__ import annotations

import json
from typing import Any

from cli.report import Report

__all__ = ["SCHEMA", "render_json", "to_dict"]

_ISSUE = {
    "type": "object",
    "required": [
        "subject",
        "file",
        "rule",
        "location",
        "line",
        "column",
        "message",
        "hint",
        "fingerprint",
        "status",
        "direction",
        "against",
        "waiver",
    ],
    "additionalProperties": False,
    "properties": {
        "subject": {"type": "string"},
        "file": {"type": "string", "description": "relative to charter.yaml's directory"},
        "rule": {"type": "string", "description": "rule id from `compat` or the CLI"},
        "location": {
            "type": "string",
            "description": "JSON pointer into the new schema (Protobuf: #/Message/field)",
        },
        "line": {"type": "integer", "minimum": 1},
        "column": {"type": "integer", "minimum": 1},
        "message": {"type": "string"},
        "hint": {"type": "string"},
        "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "status": {"enum": ["error", "waived", "expired-waiver", "warning"]},
        "direction": {"enum": ["BACKWARD", "FORWARD", None]},
        "against": {"type": ["string", "null"], "description": "git:REF or 'version N'"},
        "waiver": {
            "type": ["object", "null"],
            "required": ["reason", "expires"],
            "additionalProperties": False,
            "properties": {
                "reason": {"type": "string"},
                "expires": {"type": "string", "format": "date"},
            },
        },
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://charter.dev/schemas/check-report-1.json",
    "title": "charter check / register report",
    "type": "object",
    "required": ["version", "command", "against", "exit_code", "summary", "contracts",
                 "unused_waivers"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "command": {"enum": ["check", "register"]},
        "against": {"type": "string"},
        "exit_code": {"enum": [0, 1, 2]},
        "summary": {
            "type": "object",
            "required": ["contracts", "failing", "waived", "warnings", "errors"],
            "additionalProperties": False,
            "properties": {
                k: {"type": "integer", "minimum": 0}
                for k in ("contracts", "failing", "waived", "warnings", "errors")
            },
        },
        "unused_waivers": {
            "type": "array",
            "items": {"type": "string"},
            "description": "fingerprints of waivers that matched no finding",
        },
        "contracts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "subject", "file", "schema_type", "level", "status", "compared_with",
                    "error", "findings",
                ],
                "additionalProperties": False,
                "properties": {
                    "subject": {"type": "string"},
                    "file": {"type": "string"},
                    "schema_type": {"enum": ["AVRO", "JSON", "PROTOBUF"]},
                    "level": {"type": ["string", "null"]},
                    "status": {
                        "enum": [
                            "compatible", "breaking", "waived", "new", "denied", "invalid",
                            "error", "registered", "unchanged", "would-register",
                        ]
                    },
                    "compared_with": {"type": "array", "items": {"type": "string"}},
                    "error": {"type": ["string", "null"]},
                    "id": {"type": "integer"},
                    "registered_version": {"type": "integer"},
                    "findings": {"type": "array", "items": _ISSUE},
                },
            },
        },
    },
}  # fmt: skip


def to_dict(report: Report) -> dict[str, Any]:
    contracts = []
    for contract in report.contracts:
        entry: dict[str, Any] = {
            "subject": contract.subject,
            "file": contract.file,
            "schema_type": contract.schema_type,
            "level": contract.level,
            "status": contract.status,
            "compared_with": list(contract.compared_with),
            "error": contract.error,
            "findings": [
                {
                    "subject": i.subject,
                    "file": i.file,
                    "rule": i.rule,
                    "location": i.location,
                    "line": i.line,
                    "column": i.column,
                    "message": i.message,
                    "hint": i.hint,
                    "fingerprint": i.fingerprint,
                    "status": i.status,
                    "direction": i.direction,
                    "against": i.against,
                    "waiver": (
                        {"reason": i.waiver_reason, "expires": i.waiver_expires}
                        if i.waiver_reason is not None
                        else None
                    ),
                }
                for i in contract.issues
            ],
        }
        if contract.schema_id is not None:
            entry["id"] = contract.schema_id
        if contract.version is not None:
            entry["registered_version"] = contract.version
        contracts.append(entry)
    return {
        "version": 1,
        "command": report.command,
        "against": report.against,
        "exit_code": report.exit_code,
        "summary": report.counts(),
        "contracts": contracts,
        "unused_waivers": list(report.unused_waivers),
    }


def render_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
