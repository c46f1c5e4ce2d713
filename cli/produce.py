"""`charter produce`: publish JSON lines as validated events; nothing is sent if one is invalid.

For an Avro subject, JSON values are first turned into the Python types its logical types
take (decimals, timestamps, dates, bytes; see `cli.avro_json`), in the schemas its references
name as well.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.streams import BrokerOption, StreamRegistryOption

if TYPE_CHECKING:
    from compat.avro import AvroSchema
    from sdk import Registry
    from sdk.registry import RegisteredSchema

__all__ = ["avro_schema", "key_at", "produce"]


def key_at(value: Any, path: str) -> str | None:
    """The value at `path` (a JSON pointer `/data/customerId` or dotted `data.customerId`)."""
    parts = path[1:].split("/") if path.startswith("/") else path.split(".")
    found = value
    for part in parts:
        part = part.replace("~1", "/").replace("~0", "~") if path.startswith("/") else part
        if isinstance(found, dict) and part in found:
            found = found[part]
        elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
            found = found[int(part)]
        else:
            return None
    if found is None or isinstance(found, dict | list):
        return None
    return str(found)


def avro_schema(client: Registry, registered: RegisteredSchema) -> AvroSchema | None:
    """`registered` parsed with the schemas its references name (fetched from the registry),
    so their named types convert too; None when it does not parse: the serialiser then says
    why."""
    from compat import CompatError, Reference, SchemaSource
    from compat.avro import parse_avro

    def source(found: RegisteredSchema) -> SchemaSource:
        refs = tuple(Reference(r.name, r.subject, r.version) for r in found.references)
        return SchemaSource(found.schema, references=refs)

    def resolve(ref: Reference) -> SchemaSource:
        return source(client.get_version(ref.subject, ref.version))

    try:
        return parse_avro(source(registered), resolve)
    except CompatError:
        return None


def produce(
    topic: Annotated[str, typer.Argument(help="Topic to publish to (subject <topic>-value).")],
    key_field: Annotated[
        str | None,
        typer.Option(help="Path of each event's key: a JSON pointer or dotted path."),
    ] = None,
    registry: StreamRegistryOption = None,
    broker: BrokerOption = None,
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="Read events from this file, not stdin.")
    ] = None,
    partitions: Annotated[
        int, typer.Option(help="Partitions for the topic if the broker must create it.")
    ] = 1,
) -> None:
    """Validate every line of JSON on stdin and publish them all, or none.

    Exit codes: 0 all sent, 1 some lines are invalid (their numbers are listed; nothing sent),
    2 an error (registry or broker unreachable, unknown subject).
    """
    import json

    from cli.streams import broker_url, credentials, registry_url, sdk_errors
    from sdk import Producer, Registry, Serializer, ValidationError

    source = input_file.open(encoding="utf-8") if input_file else sys.stdin
    with sdk_errors("produce"), Registry(registry_url(registry), **credentials()) as client:
        serializer = Serializer(client, topic=topic)
        latest = client.latest(serializer.subject)
        convert: Any = None
        parsed = avro_schema(client, latest) if latest.schema_type.upper() == "AVRO" else None
        if parsed is not None:
            from cli.avro_json import avro_from_json

            convert = lambda v: avro_from_json(parsed, v)  # noqa: E731
        framed: list[tuple[bytes, str | None]] = []
        invalid: list[tuple[int, str]] = []
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                invalid.append((number, f"not JSON: {exc.msg} at column {exc.colno}"))
                continue
            try:
                data = serializer.serialize(convert(value) if convert else value)
            except ValidationError as exc:  # other SDK errors are not the line's fault
                invalid.extend((number, str(v)) for v in exc.violations)
                continue
            framed.append((data, key_at(value, key_field) if key_field else None))
        if input_file:
            source.close()
        if invalid:
            lines = sorted({n for n, _ in invalid})
            typer.echo(
                f"charter produce: {len(lines)} invalid event(s) on line(s) "
                f"{', '.join(map(str, lines))}; nothing was sent",
                err=True,
            )
            for number, reason in invalid:
                typer.echo(f"  line {number}: {reason}", err=True)
            raise typer.Exit(code=1)
        url = broker_url(broker)
        with Producer(
            url, registry=client, partitions=partitions, **credentials(url)
        ) as producer:
            for data, key in framed:
                producer.publish_bytes(topic, data, key=key)
            producer.flush()
        typer.echo(f"sent {len(framed)} event(s) to {topic}")
