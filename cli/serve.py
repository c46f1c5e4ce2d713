"""`charter serve`: migrate the database to head, then run the registry with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer

# Literal defaults (equal to registry.Settings'): `charter --help` must not import the web stack.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_DATA_DIR = Path("./charter-data")
DEFAULT_LOG_LEVEL = "info"
DEFAULT_KAFKA_PORT = 9092
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
LOG_FORMATS = ("json", "text")


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
    log_format: Annotated[
        str,
        typer.Option(
            envvar="CHARTER_LOG_FORMAT",
            help="json or text: one line per request, with its request id.",
        ),
    ] = "text",
) -> None:
    """Run the schema registry (Confluent Schema Registry API) and the broker on one port."""
    import uvicorn

    from broker import Broker, DataDirLockedError
    from broker.http import create_router
    from registry import Settings, create_app
    from registry.app import build_registry
    from registry.console import create_console_router
    from registry.contracts import RegistryContracts
    from registry.logs import configure_logging
    from registry.metrics import MeteredBroker, Metrics
    from registry.observe import install as install_observability

    if log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(
            f"{log_level!r} is not one of {', '.join(LOG_LEVELS)}", param_hint="--log-level"
        )
    if log_format.lower() not in LOG_FORMATS:
        raise typer.BadParameter(
            f"{log_format!r} is not one of {', '.join(LOG_FORMATS)}", param_hint="--log-format"
        )
    log_config = configure_logging("json" if log_format.lower() == "json" else "text",
                                   log_level.lower())
    data_dir.mkdir(parents=True, exist_ok=True)
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
        broker = Broker(data_dir / "broker", contracts=RegistryContracts(registry.service))
    except DataDirLockedError as exc:
        typer.echo(f"charter serve: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    listener = None
    try:
        if kafka_port != 0:
            listener = _start_kafka(broker, host, kafka_port, kafka_advertised_host)
        metrics = Metrics(registry.service, broker)
        # The wrapper forwards every attribute to the broker; broker.http names the class.
        metered = cast(Broker, MeteredBroker(broker, metrics))
        console = create_console_router(registry.service, broker)
        app = create_app(
            settings, registry=registry, extra_routers=[create_router(metered), console]
        )
        install_observability(app, metrics)
        uvicorn.run(
            app, host=host, port=port, log_level=settings.log_level, log_config=log_config
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
