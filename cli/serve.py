"""`charter serve`: migrate the database to head, then run the registry with uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

# Literal defaults (equal to registry.Settings'): `charter --help` must not import the web stack.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_DATA_DIR = Path("./charter-data")
DEFAULT_LOG_LEVEL = "info"
DEFAULT_KAFKA_PORT = 9092
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DEFAULT_CONNECTIONS_MAX = 1000
DEFAULT_IDLE_TIMEOUT_S = 5
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 30.0
DEFAULT_LONG_POLLS_MAX = 1000
DEFAULT_GROUP_RETENTION_MS = 7 * 24 * 3600 * 1000


def serve(
    host: Annotated[
        str, typer.Option(envvar="CHARTER_HOST", help="Interface to listen on.")
    ] = DEFAULT_HOST,
    port: Annotated[
        int, typer.Option(envvar="CHARTER_PORT", help="Port to listen on.")
    ] = DEFAULT_PORT,
    data_dir: Annotated[
        Path,
        typer.Option(
            envvar="CHARTER_DATA_DIR",
            help="Directory for the embedded SQLite store and the broker's log.",
        ),
    ] = DEFAULT_DATA_DIR,
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="CHARTER_DATABASE_URL",
            help="postgresql+psycopg://… or sqlite:///…; default SQLite in the data directory.",
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option(envvar="CHARTER_LOG_LEVEL", help="debug, info, warning or error.")
    ] = DEFAULT_LOG_LEVEL,
    kafka_port: Annotated[
        int | None,
        typer.Option(
            envvar="CHARTER_KAFKA_PORT",
            show_default=False,
            help="Port for Kafka clients (Kafka's wire protocol) on --host; 0 turns it off. "
            f"Default {DEFAULT_KAFKA_PORT}; when that is taken, serve warns and runs without.",
        ),
    ] = None,
    kafka_advertised_host: Annotated[
        str | None,
        typer.Option(
            envvar="CHARTER_KAFKA_ADVERTISED_HOST",
            help="Host name Kafka clients are told to connect to; default --host.",
        ),
    ] = None,
    connections_max: Annotated[
        int,
        typer.Option(
            envvar="CHARTER_CONNECTIONS_MAX",
            min=1,
            help="Open connections and requests in progress beyond which requests get 503.",
        ),
    ] = DEFAULT_CONNECTIONS_MAX,
    idle_timeout_s: Annotated[
        int,
        typer.Option(
            envvar="CHARTER_IDLE_TIMEOUT_S",
            min=1,
            help="Close a keep-alive connection idle this many seconds.",
        ),
    ] = DEFAULT_IDLE_TIMEOUT_S,
    header_timeout_s: Annotated[
        float,
        typer.Option(
            envvar="CHARTER_HEADER_TIMEOUT_S",
            min=0.1,
            help="Close a connection whose request line and headers take longer than this.",
        ),
    ] = DEFAULT_HEADER_TIMEOUT_S,
    body_timeout_s: Annotated[
        float,
        typer.Option(
            envvar="CHARTER_BODY_TIMEOUT_S",
            min=0.1,
            help="Answer 408 when a request body pauses longer than this.",
        ),
    ] = DEFAULT_BODY_TIMEOUT_S,
    long_polls_max: Annotated[
        int,
        typer.Option(
            envvar="CHARTER_LONG_POLLS_MAX",
            min=1,
            help="Broker fetches that may wait for records at once; more get 503.",
        ),
    ] = DEFAULT_LONG_POLLS_MAX,
    group_retention_ms: Annotated[
        int,
        typer.Option(
            envvar="CHARTER_GROUP_RETENTION_MS",
            min=1,
            help="Remove a consumer group this long after it was last used and left empty.",
        ),
    ] = DEFAULT_GROUP_RETENTION_MS,
) -> None:
    """Run the schema registry (Confluent Schema Registry API) and the broker on one port."""
    import uvicorn

    from broker import Broker, DataDirLockedError
    from broker.http import body_limits, create_router
    from registry import Settings, create_app
    from registry.app import build_registry
    from registry.connections import header_timeout_protocol
    from registry.contracts import RegistryContracts
    from registry.limits import BodyLimit

    if log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(
            f"{log_level!r} is not one of {', '.join(LOG_LEVELS)}", param_hint="--log-level"
        )
    # Data files 0600 and directories 0700: the database and the log are nobody else's.
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    settings = Settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url or None,
        log_level=log_level.lower(),
    )
    try:
        registry = build_registry(settings)
    except Exception as exc:  # a clear line rather than a traceback for a bad URL or DB
        typer.echo(f"charter serve: cannot open the database: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    try:
        broker = Broker(
            data_dir / "broker",
            contracts=RegistryContracts(registry.service),
            group_retention_ms=group_retention_ms,
        )
    except DataDirLockedError as exc:
        typer.echo(f"charter serve: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    listener = None
    try:
        if kafka_port != 0:
            listener = _start_kafka(broker, host, kafka_port, kafka_advertised_host)
        app = create_app(
            settings,
            registry=registry,
            extra_routers=[create_router(broker, long_polls_max=long_polls_max)],
            body_limits=[
                BodyLimit(p, n, 41301, "application/json") for p, n in body_limits(broker.limits)
            ],
            body_timeout_s=body_timeout_s,
        )
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=settings.log_level,
            http=header_timeout_protocol(header_timeout_s),
            limit_concurrency=connections_max,
            timeout_keep_alive=idle_timeout_s,
        )
    finally:
        if listener is not None:
            listener.stop()
        broker.close()


def _start_kafka(broker: Any, host: str, port: int | None, advertised_host: str | None) -> Any:
    """The Kafka-protocol listener on the same broker, bound before the HTTP server starts.

    A port asked for that cannot be bound ends serve; the default one (a local Kafka may
    hold 9092) only costs the listener, with a warning.
    """
    from broker.kafka import KafkaListener, ListenerSettings, ListenerStartError

    settings = ListenerSettings(
        host=host,
        port=DEFAULT_KAFKA_PORT if port is None else port,
        advertised_host=advertised_host,
    )
    listener = KafkaListener(broker, settings)
    try:
        listener.start()
    except ListenerStartError as exc:
        if port is None:
            typer.echo(f"charter serve: warning: {exc}; running without it", err=True)
            return None
        typer.echo(f"charter serve: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    return listener
