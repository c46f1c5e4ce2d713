"""The catalogue of every rule id the engine can emit, and its rendering as documentation."""

from __future__ import annotations

from collections.abc import Mapping

from compat.formats import format_for
from compat.model import Rule, SchemaType, Severity

__all__ = ["ENGINE_RULES", "all_rules", "render_markdown"]

ENGINE_RULES: Mapping[str, Rule] = {
    "SCHEMA_TYPE_CHANGED": Rule(
        id="SCHEMA_TYPE_CHANGED",
        schema_type=None,
        summary="The new schema is of another type (Avro vs JSON Schema) than the old one.",
        breaks="BOTH",
        example_old='{"type": "string"}  (AVRO)',
        example_new='{"type": "string"}  (JSON)',
        fix="Keep the subject's schema type, or register the new schema under a new subject.",
    ),
}


def all_rules() -> dict[str, Rule]:
    """Every rule id, engine-wide ones first, then each format's."""
    rules = dict(ENGINE_RULES)
    for schema_type in SchemaType:
        rules.update(format_for(schema_type).rules)
    return rules


_TITLES = {
    None: "Any format",
    SchemaType.AVRO: "Avro",
    SchemaType.JSON: "JSON Schema",
    SchemaType.PROTOBUF: "Protocol Buffers",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    """`docs/compatibility.md`, generated so the documentation cannot drift from the code."""
    lines = [
        "# Compatibility rules",
        "",
        "Generated from `compat/catalog.py` by `make docs`; a test fails when it is stale.",
        "",
        "Every finding Charter reports carries one of these rule ids, a JSON pointer into the new",
        "schema (for Protobuf, Confluent's `#/Message/field` path), a sentence saying what broke",
        "and a hint for the fix; findings marked *warning* are reported but never decide a",
        "verdict. *Breaks* names the reading",
        "that fails: BACKWARD (the new schema cannot read data written with the old one), FORWARD",
        "(old schemas cannot read data written with the new one) or BOTH (it depends on which",
        "side of the pair the change is on). Levels: BACKWARD and BACKWARD_TRANSITIVE run the",
        "BACKWARD reading, FORWARD and FORWARD_TRANSITIVE the FORWARD one, FULL and",
        "FULL_TRANSITIVE both; the transitive levels compare with every live version, the others",
        "with the latest only.",
    ]
    rules = all_rules()
    for schema_type in (None, *SchemaType):
        section = [r for r in rules.values() if r.schema_type == schema_type]
        if not section:
            continue
        lines += [
            "",
            f"## {_TITLES[schema_type]}",
            "",
            "| rule id | what it means | breaks | old | new | fix |",
            "|---|---|---|---|---|---|",
        ]
        for rule in section:
            warning = rule.severity is Severity.WARNING
            summary = f"*Warning.* {rule.summary}" if warning else rule.summary
            lines.append(
                f"| `{rule.id}` | {_cell(summary)} | {rule.breaks} "
                f"| `{_cell(rule.example_old)}` | `{_cell(rule.example_new)}` | {_cell(rule.fix)} |"
            )
        if schema_type is SchemaType.JSON:
            from compat.json_schema.rules import policy_notes

            lines += policy_notes()
    return "\n".join(lines) + "\n"
