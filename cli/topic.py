"""`charter topic create|list|describe|alter|delete`: administer the built-in broker's topics.

Also holds what `charter groups` shares with it: the `--broker` option, the `--format` check and
the error boundary. Exit codes: 0 done; 1 the broker refused (no such topic, topic exists, a
setting it will not take, a key outside its role or prefixes: 403); 2 a usage error, or the
broker could not be reached or answered something that is not the broker's API.

Against `charter serve --auth required` the commands send CHARTER_AUTH_KEY/CHARTER_AUTH_SECRET
(HTTP Basic) or CHARTER_AUTH_TOKEN (a bearer token), as `charter produce` and `consume` do, and
never print them. Imports only typer at module level; httpx, rich and the broker's client load
inside the commands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer

if TYPE_CHECKING:
    from broker.client import BrokerClient

__all__ = [
    "AdminBrokerOption",
    "AdminFormatOption",
    "admin_session",
    "check_admin_format",
    "print_json",
    "topic_app",
]

DEFAULT_BROKER_URL = "http://127.0.0.1:8081"
ADMIN_FORMATS = ("table", "json")
FLUSH_POLICIES = ("always", "interval_ms", "never")
CONTRACT_SETTINGS = ("none", "id", "validate")
REQUEST_TIMEOUT_S = 30.0

AdminBrokerOption = Annotated[
    str | None,
    typer.Option(
        "--broker",
        "--url",
        help="The broker: http(s)://host:port or charter://host:port; default: "
        f"CHARTER_BROKER_URL, then {DEFAULT_BROKER_URL}.",
    ),
]
AdminFormatOption = Annotated[
    str, typer.Option("--format", "-f", help="table or json.", show_default=True)
]


class AdminError(Exception):
    """A usage or connection problem found on this side: exit code 2."""


def check_admin_format(fmt: str) -> str:
    if fmt not in ADMIN_FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(ADMIN_FORMATS)}", param_hint="--format"
        )
    return fmt


def admin_url(given: str | None) -> str:
    """The broker's HTTP root from `--broker`, CHARTER_BROKER_URL or the default."""
    url = (given or os.environ.get("CHARTER_BROKER_URL") or DEFAULT_BROKER_URL).strip()
    parts = urlsplit(url)
    if parts.scheme == "charter" and parts.netloc:
        return f"http://{parts.netloc}"
    if parts.scheme in ("http", "https") and parts.netloc:
        return url.rstrip("/")
    raise AdminError(
        f"{url!r} is not a Charter broker URL: use http(s)://host:port or charter://host:port "
        "(topic administration speaks to `charter serve`, not to Kafka or a local log)"
    )


def _credentials() -> tuple[tuple[str, str] | None, dict[str, str]]:
    """HTTP Basic credentials and headers from CHARTER_AUTH_*, read by the SDK's rules. The SDK
    loads only when one of the variables is set: without them the commands stay light."""
    if not any(os.environ.get(f"CHARTER_AUTH_{v}") for v in ("KEY", "SECRET", "TOKEN")):
        return None, {}
    from sdk.credentials import credential_headers, from_env
    from sdk.errors import ConfigurationError

    try:
        found = from_env()
        return found.auth, credential_headers(found.auth, found.token)
    except ConfigurationError as exc:
        raise AdminError(str(exc)) from None


_HINTS = {
    401: " (set CHARTER_AUTH_KEY and CHARTER_AUTH_SECRET, or CHARTER_AUTH_TOKEN)",
    403: " (the key's role or prefixes do not allow this)",
    404: " (is it `charter serve`?)",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextmanager
def admin_session(command: str, broker: str | None) -> Iterator[BrokerClient]:
    """A client for the broker, and the error boundary around its use.

    The broker's refusals exit 1; usage, network and protocol errors exit 2; one line each.
    """
    import httpx

    from broker.client import BrokerClient, RemoteError
    from broker.errors import BrokerError

    def fail(message: str, code: int) -> typer.Exit:
        typer.echo(f"charter {command}: error: {_one_line(message)}", err=True)
        return typer.Exit(code=code)

    try:
        url = admin_url(broker)
        auth, headers = _credentials()
    except AdminError as exc:
        raise fail(str(exc), 2) from None
    try:
        with (
            httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S, auth=auth,
                         headers=headers) as http,
            BrokerClient(url, client=http) as client,
        ):
            yield client
    except RemoteError as exc:
        hint = _HINTS.get(exc.status, "")
        # A key outside its role or prefixes is the server refusing, like a refused setting.
        code = 1 if exc.status == 403 else 2
        raise fail(f"{url} answered {exc.status}{hint}: {exc.body[:300]}", code) from None
    except BrokerError as exc:
        raise fail(exc.message, 1) from None
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise fail(f"cannot reach the broker at {url}: {reason}", 2) from None
    except json.JSONDecodeError:
        raise fail(f"{url} did not answer with JSON: is it `charter serve`?", 2) from None


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _print(*renderables: Any) -> None:
    from rich.console import Console

    console = Console()
    for r in renderables:
        console.print(r)


# ---------------------------------------------------------------------- settings

RetentionMsOption = Annotated[
    int | None,
    typer.Option(
        "--retention-ms", help="Delete closed segments older than this; -1 for unbounded."
    ),
]
RetentionBytesOption = Annotated[
    int | None,
    typer.Option(
        "--retention-bytes",
        help="Keep at most this many bytes per partition (whole segments); -1 for unbounded.",
    ),
]
FlushOption = Annotated[
    str | None,
    typer.Option("--flush", help="always (fsync before the ack), interval_ms or never."),
]
FlushIntervalOption = Annotated[
    int | None,
    typer.Option("--flush-interval-ms", help="How often to fsync with --flush interval_ms."),
]
ContractOption = Annotated[
    str | None,
    typer.Option(
        "--contract",
        help="none; id (values must carry a schema id registered under <topic>-value); "
        "validate (id, and the payload must match that schema).",
    ),
]


def _settings(
    *,
    partitions: int | None,
    retention_ms: int | None,
    retention_bytes: int | None,
    flush: str | None,
    flush_interval_ms: int | None,
    contract: str | None,
) -> dict[str, Any]:
    """The settings given on the command line, as the broker's API takes them."""
    if flush is not None and flush not in FLUSH_POLICIES:
        raise typer.BadParameter(
            f"{flush!r} is not one of {', '.join(FLUSH_POLICIES)}", param_hint="--flush"
        )
    if contract is not None and contract not in CONTRACT_SETTINGS:
        raise typer.BadParameter(
            f"{contract!r} is not one of {', '.join(CONTRACT_SETTINGS)}", param_hint="--contract"
        )
    out: dict[str, Any] = {}
    if partitions is not None:
        out["partitions"] = partitions
    # -1 is Kafka's spelling of "no limit"; the broker's is null
    for name, value in (("retention_ms", retention_ms), ("retention_bytes", retention_bytes)):
        if value is not None:
            out[name] = None if value == -1 else value
    if flush is not None:
        out["flush"] = flush
    if flush_interval_ms is not None:
        out["flush_interval_ms"] = flush_interval_ms
    if contract is not None:
        out["contract"] = contract
    return out


# ---------------------------------------------------------------------- rendering


def _records(partitions: list[dict[str, Any]]) -> int:
    return sum(p["log_end_offset"] - p["log_start_offset"] for p in partitions)


def _setting_text(value: Any) -> str:
    return "unbounded" if value is None else str(value)


def _retention_text(config: dict[str, Any]) -> str:
    limits = []
    if config["retention_ms"] is not None:
        limits.append(f"{config['retention_ms']} ms")
    if config["retention_bytes"] is not None:
        limits.append(f"{config['retention_bytes']} bytes")
    return ", ".join(limits) or "unbounded"


def _describe_tables(description: dict[str, Any]) -> list[Any]:
    from rich.table import Table

    settings = Table(title=f"topic {description['name']}", show_edge=False, pad_edge=False)
    settings.add_column("setting")
    settings.add_column("value", overflow="fold")
    for key, value in description["config"].items():
        settings.add_row(key, _setting_text(value))

    partitions = Table(show_edge=False, pad_edge=False)
    for column in ("partition", "log start", "log end", "records", "bytes", "segments"):
        partitions.add_column(column, justify="right")
    for p in description["partitions"]:
        partitions.add_row(
            str(p["partition"]),
            str(p["log_start_offset"]),
            str(p["log_end_offset"]),
            str(p["log_end_offset"] - p["log_start_offset"]),
            str(p["size_bytes"]),
            str(p["segments"]),
        )
    return [settings, "", partitions]


def _list_table(descriptions: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    table.add_column("topic", overflow="fold")
    for column in ("partitions", "records"):
        table.add_column(column, justify="right")
    for column in ("contract", "flush", "retention"):
        table.add_column(column)
    for d in descriptions:
        config = d["config"]
        table.add_row(
            d["name"],
            str(len(d["partitions"])),
            str(_records(d["partitions"])),
            config["contract"],
            config["flush"],
            _retention_text(config),
        )
    return table


# ---------------------------------------------------------------------- commands

topic_app = typer.Typer(
    help="Create, list, describe, alter and delete the broker's topics.",
    no_args_is_help=True,
    add_completion=False,
)


@topic_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Topic name: letters, digits, '.', '_', '-'.")],
    partitions: Annotated[int, typer.Option("--partitions", "-p", help="Partitions.")] = 1,
    retention_ms: RetentionMsOption = None,
    retention_bytes: RetentionBytesOption = None,
    flush: FlushOption = None,
    flush_interval_ms: FlushIntervalOption = None,
    contract: ContractOption = None,
    fmt: AdminFormatOption = "table",
    broker: AdminBrokerOption = None,
) -> None:
    """Create a topic; exits 1 if it exists or the broker refuses a setting."""
    check_admin_format(fmt)
    settings = _settings(
        partitions=partitions,
        retention_ms=retention_ms,
        retention_bytes=retention_bytes,
        flush=flush,
        flush_interval_ms=flush_interval_ms,
        contract=contract,
    )
    from broker.config import TopicConfig
    from broker.wire import topic_to_json

    with admin_session("topic create", broker) as client:
        description = topic_to_json(client.create_topic(name, TopicConfig(**settings)))
    if fmt == "json":
        print_json(description)
    else:
        count = len(description["partitions"])
        typer.echo(
            f"created topic {name!r}: {count} partition{'s' if count != 1 else ''}, "
            f"contract {description['config']['contract']}, flush {description['config']['flush']}"
        )


@topic_app.command("list")
def list_topics(fmt: AdminFormatOption = "table", broker: AdminBrokerOption = None) -> None:
    """List the topics with their partitions, record counts and main settings."""
    from broker.errors import UnknownTopicError
    from broker.wire import topic_to_json

    check_admin_format(fmt)
    descriptions: list[dict[str, Any]] = []
    with admin_session("topic list", broker) as client:
        for name in client.list_topics():
            try:
                descriptions.append(topic_to_json(client.describe_topic(name)))
            except UnknownTopicError:
                continue  # deleted since it was listed
    if fmt == "json":
        print_json(descriptions)
    elif not descriptions:
        typer.echo("no topics")
    else:
        _print(_list_table(descriptions))


@topic_app.command("describe")
def describe(
    name: Annotated[str, typer.Argument(help="Topic name.")],
    fmt: AdminFormatOption = "table",
    broker: AdminBrokerOption = None,
) -> None:
    """Show a topic's settings and, per partition, its log start and end offsets."""
    from broker.wire import topic_to_json

    check_admin_format(fmt)
    with admin_session("topic describe", broker) as client:
        description = topic_to_json(client.describe_topic(name))
    if fmt == "json":
        print_json(description)
    else:
        _print(*_describe_tables(description))


@topic_app.command("alter")
def alter(
    name: Annotated[str, typer.Argument(help="Topic name.")],
    partitions: Annotated[
        int | None, typer.Option("--partitions", "-p", help="More partitions (never fewer).")
    ] = None,
    retention_ms: RetentionMsOption = None,
    retention_bytes: RetentionBytesOption = None,
    flush: FlushOption = None,
    flush_interval_ms: FlushIntervalOption = None,
    contract: ContractOption = None,
    fmt: AdminFormatOption = "table",
    broker: AdminBrokerOption = None,
) -> None:
    """Change a topic's settings; partitions may only grow."""
    check_admin_format(fmt)
    changes = _settings(
        partitions=partitions,
        retention_ms=retention_ms,
        retention_bytes=retention_bytes,
        flush=flush,
        flush_interval_ms=flush_interval_ms,
        contract=contract,
    )
    if not changes:
        raise typer.BadParameter("give at least one setting to change", param_hint="NAME")
    from broker.wire import topic_to_json

    with admin_session("topic alter", broker) as client:
        description = topic_to_json(client.alter_topic(name, **changes))
    if fmt == "json":
        print_json(description)
    else:
        _print(*_describe_tables(description))


@topic_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="Topic name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    fmt: AdminFormatOption = "table",
    broker: AdminBrokerOption = None,
) -> None:
    """Delete a topic and all its records. Asks first unless --yes; declining exits 1."""
    check_admin_format(fmt)
    with admin_session("topic delete", broker) as client:
        if not yes:
            partitions = client.describe_topic(name).partitions
            count = sum(p.log_end_offset - p.log_start_offset for p in partitions)
            question = f"Delete topic {name!r} ({len(partitions)} partitions, {count} records)?"
            if not typer.confirm(question, default=False, err=True):
                typer.echo(f"charter topic delete: topic {name!r} was not deleted", err=True)
                raise typer.Exit(code=1)
        client.delete_topic(name)
    if fmt == "json":
        print_json({"deleted": name})
    else:
        typer.echo(f"deleted topic {name!r}")
