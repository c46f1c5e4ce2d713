"""`charter replay`: read a topic end to end through the registry and report what it holds.

Counts records per schema version of the topic's subject (`<topic>-value`) and lists every
contract violation: bytes not in the wire format, schema ids unknown or not registered under
the subject, payloads that do not decode, and with `--validate` JSON payloads that break their
schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from cli.streams import BrokerOption, StreamRegistryOption

__all__ = ["ReplayReport", "replay"]

FORMATS = ("text", "json")


@dataclass
class ReplayReport:
    topic: str
    subject: str
    records: int = 0
    tombstones: int = 0
    counts: dict[int, int] = field(default_factory=dict)  # schema id -> records
    versions: dict[int, int] = field(default_factory=dict)  # schema id -> version
    violations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "subject": self.subject,
            "records": self.records,
            "tombstones": self.tombstones,
            "versions": [
                {"schema_id": sid, "version": self.versions.get(sid), "count": n}
                for sid, n in sorted(self.counts.items())
            ],
            "violations": self.violations,
        }


def _parse_time(text: str) -> int:
    from datetime import UTC, datetime

    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither epoch milliseconds nor an ISO 8601 time", param_hint="--from-time"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def replay(
    topic: Annotated[str, typer.Argument(help="Topic to read end to end.")],
    from_offset: Annotated[
        int | None, typer.Option(help="Start every partition at this offset.")
    ] = None,
    from_time: Annotated[
        str | None,
        typer.Option(help="Start at the first record at or after this time (ISO 8601 or ms)."),
    ] = None,
    validate: Annotated[
        bool, typer.Option("--validate", help="Also validate JSON payloads against their schema.")
    ] = False,
    idle_timeout_s: Annotated[
        float,
        typer.Option(
            "--idle-timeout",
            help="On brokers that cannot tell their end (Kafka), stop after this quiet time.",
        ),
    ] = 3.0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    registry: StreamRegistryOption = None,
    broker: BrokerOption = None,
) -> None:
    """Read TOPIC from the start (or an offset or time), decode every record and report counts
    per schema version and every contract violation.

    Exit codes: 0 no violation, 1 violations found, 2 an error.
    """
    import json

    from cli.streams import broker_url, registry_url, sdk_errors

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    if from_offset is not None and from_time is not None:
        raise typer.BadParameter("give --from-offset or --from-time, not both")
    if from_offset is not None and from_offset < 0:
        raise typer.BadParameter("an offset is at least 0", param_hint="--from-offset")
    start_ms = _parse_time(from_time) if from_time is not None else None
    with sdk_errors("replay"):
        report = run_replay(
            topic,
            broker_url(broker),
            registry_url(registry),
            from_offset=from_offset,
            from_time_ms=start_ms,
            validate=validate,
            idle_timeout_s=idle_timeout_s,
            progress=fmt == "text",
        )
    if fmt == "json":
        typer.echo(json.dumps(report.to_json(), indent=2, default=str))
    else:
        _print_text(report)
    raise typer.Exit(code=1 if report.violations else 0)


def run_replay(
    topic: str,
    broker: str,
    registry: str,
    *,
    from_offset: int | None = None,
    from_time_ms: int | None = None,
    validate: bool = False,
    idle_timeout_s: float = 3.0,
    progress: bool = False,
) -> ReplayReport:
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from cli.streams import credentials
    from sdk import Consumer, Registry, SchemaNotFoundError

    subject = f"{topic}-value"
    report = ReplayReport(topic, subject)
    with Registry(registry, **credentials()) as client:
        try:
            for version in client.versions(subject):
                found = client.get_version(subject, version)
                report.versions[found.schema_id] = version
        except SchemaNotFoundError:
            pass  # every record will be a violation: nothing is registered for the topic
        consumer = Consumer(
            broker,
            registry=client,
            group=None,
            topics=[topic],
            validate=validate,
            auto_create_topics=False,
            **credentials(broker),
        )
        with consumer:
            ends = consumer.end_offsets()
            total: int | None = None
            done: dict[tuple[str, int], int] = {}
            if ends is not None:
                if from_offset is not None:
                    for (t, p), end in ends.items():
                        consumer.seek(t, p, min(from_offset, end))
                        done[(t, p)] = min(from_offset, end)
                total = sum(max(0, end - (from_offset or 0)) for end in ends.values())
            elif from_offset is not None:
                for t, p in consumer.assignment():
                    consumer.seek(t, p, from_offset)
            if from_time_ms is not None:
                consumer.seek_to_time(from_time_ms)
            with Progress(
                TextColumn(f"replaying {topic}"),
                BarColumn(),
                MofNCompleteColumn(),
                transient=True,
                disable=not progress,
            ) as bar:
                task = bar.add_task("replay", total=total)
                idle_since = time.monotonic()
                while True:
                    if ends is not None and all(done.get(tp, 0) >= e for tp, e in ends.items()):
                        break
                    messages = consumer.poll(0.5)
                    if not messages:
                        # through Kafka (charter:// too) the first fetch can take longer than
                        # a poll: short of the end offsets, only idle_timeout_s ends the replay
                        if time.monotonic() - idle_since >= idle_timeout_s:
                            break
                        continue
                    idle_since = time.monotonic()
                    for m in messages:
                        done[(m.topic, m.partition)] = m.offset + 1
                        _count(report, m)
                    bar.advance(task, len(messages))
    return report


def _count(report: ReplayReport, m: Any) -> None:
    report.records += 1
    if m.value is None and m.error is None:
        report.tombstones += 1
        return
    where = {"partition": m.partition, "offset": m.offset}
    if m.error is not None:
        report.violations.append(
            {
                **where,
                "schema_id": m.schema_id,
                "error": type(m.error).__name__,
                "message": str(m.error),
            }
        )
        return
    report.counts[m.schema_id] = report.counts.get(m.schema_id, 0) + 1
    if m.schema_id not in report.versions:
        report.violations.append(
            {
                **where,
                "schema_id": m.schema_id,
                "error": "UnexpectedSchema",
                "message": f"schema id {m.schema_id} is not a version of {report.subject}",
            }
        )


def _print_text(report: ReplayReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title=f"{report.topic}: {report.records} record(s)", show_edge=False)
    for column in ("schema id", "version", "records"):
        table.add_column(column, justify="right")
    for sid, count in sorted(report.counts.items()):
        version = report.versions.get(sid)
        table.add_row(str(sid), "-" if version is None else str(version), str(count))
    console.print(table)
    if report.tombstones:
        console.print(f"tombstones: {report.tombstones}")
    if not report.violations:
        console.print("no contract violations")
        return
    console.print(f"{len(report.violations)} contract violation(s):")
    for v in report.violations:
        console.print(
            f"  partition {v['partition']} offset {v['offset']}: {v['error']}: {v['message']}"
        )
