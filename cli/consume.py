"""`charter consume`: read a topic as a member of a group and print the decoded events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.streams import BrokerOption, StreamRegistryOption

if TYPE_CHECKING:
    from sdk import Message

__all__ = ["consume", "message_json"]

FORMATS = ("json", "table")


def message_json(m: Message) -> dict[str, Any]:
    from cli.streams import text_or_none

    out: dict[str, Any] = {
        "topic": m.topic,
        "partition": m.partition,
        "offset": m.offset,
        "timestamp": m.timestamp.isoformat().replace("+00:00", "Z"),
        "key": text_or_none(m.key),
        "schema_id": m.schema_id,
        "headers": {k: text_or_none(v) for k, v in m.headers},
        "value": m.value,
    }
    if m.error is not None:
        out["error"] = {"type": type(m.error).__name__, "message": str(m.error)}
    return out


def consume(
    topic: Annotated[str, typer.Argument(help="Topic to read.")],
    group: Annotated[
        str | None, typer.Option(help="Consumer group; without one, nothing is committed.")
    ] = None,
    from_beginning: Annotated[
        bool,
        typer.Option(
            "--from-beginning", help="Start at the oldest record when the group has no offset."
        ),
    ] = False,
    max_messages: Annotated[
        int | None, typer.Option("--max", help="Stop after this many messages.")
    ] = None,
    idle_timeout_s: Annotated[
        float | None,
        typer.Option("--idle-timeout", help="Stop when nothing arrives for this many seconds."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json (one per line) or table.")] = (
        "table"
    ),
    registry: StreamRegistryOption = None,
    broker: BrokerOption = None,
) -> None:
    """Print the topic's events, decoded through the registry; commit what was printed."""
    import time

    from cli.streams import broker_url, credentials, registry_url, sdk_errors, to_json
    from sdk import Consumer, Registry

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    seen = 0
    with sdk_errors("consume"), Registry(registry_url(registry), **credentials()) as client:
        url = broker_url(broker)
        consumer = Consumer(
            url,
            registry=client,
            group=group,
            topics=[topic],
            auto_offset_reset="earliest" if from_beginning else "latest",
            **credentials(url),
        )
        with consumer:
            idle_since = time.monotonic()
            while max_messages is None or seen < max_messages:
                messages = consumer.poll(0.5)
                if not messages:
                    if (
                        idle_timeout_s is not None
                        and time.monotonic() - idle_since >= idle_timeout_s
                    ):
                        break
                    continue
                idle_since = time.monotonic()
                if max_messages is not None and seen + len(messages) > max_messages:
                    consumer.rewind(messages[max_messages - seen :])
                    messages = messages[: max_messages - seen]
                seen += len(messages)
                if fmt == "json":
                    for m in messages:
                        typer.echo(to_json(message_json(m)))
                else:
                    _print_table(messages)
                consumer.commit()


def _print_table(messages: list[Message]) -> None:
    from rich.console import Console
    from rich.table import Table

    from cli.streams import text_or_none, to_json

    table = Table(show_edge=False, pad_edge=False)
    for column in ("partition", "offset", "key", "schema", "timestamp", "value"):
        table.add_column(column, overflow="fold")
    for m in messages:
        value = f"{type(m.error).__name__}: {m.error}" if m.error else to_json(m.value)
        table.add_row(
            str(m.partition),
            str(m.offset),
            text_or_none(m.key) or "",
            "" if m.schema_id is None else str(m.schema_id),
            m.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            value,
        )
    Console().print(table)
