"""`charter serve`: migrate the database to head, then run the registry with uvicorn.

The whole app (registry and broker routes) runs behind the security middleware
(`registry.security`): `--auth required` asks every request but `/health` for an API key or
an OIDC token; `--auth none` is the default only on a loopback address, and anywhere else
serve refuses to start unless `--auth` is given explicitly.
"""

from __future__ import annotations

import gc
import logging.config
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
LOG_FORMATS = ("json", "text")
AUTH_MODES = ("required", "none")


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_mode(auth: str | None, host: str) -> str:
    """`--auth` as given, or `none` on loopback; refuses (exit 2) to guess anywhere else."""
    if auth is None:
        if is_loopback(host):
            return "none"
        typer.echo(
            f"charter serve: refusing to listen on {host} without authentication settings: "
            "pass --auth required (create keys with `charter keys create`) or, to run "
            "open on purpose, --auth none (or set CHARTER_AUTH)",
            err=True,
        )
        raise typer.Exit(code=2)
    mode = auth.strip().lower()
    if mode not in AUTH_MODES:
        raise typer.BadParameter(f"{auth!r} is not one of {', '.join(AUTH_MODES)}",
                                 param_hint="--auth")
    return mode


DEFAULT_CONNECTIONS_MAX = 1000
DEFAULT_IDLE_TIMEOUT_S = 5
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 30.0
DEFAULT_LONG_POLLS_MAX = 1000
DEFAULT_GROUP_RETENTION_MS = 7 * 24 * 3600 * 1000
WORKERS_MAX = 64


def _freeze_start_up() -> None:
    """Move what start-up made (modules, the app, the Kafka protocol's message classes,
    caches loaded so far) out of the cyclic collector's reach: it lives as long as the
    process, and every full collection would walk it again, stalling every request and the
    Kafka listener meanwhile (the process is ours, so the freeze is ours to make)."""
    gc.collect()
    gc.freeze()


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
    auth: Annotated[
        str | None,
        typer.Option(
            envvar="CHARTER_AUTH",
            help="required (API keys or OIDC tokens on every route but /health) or none; "
            "default none on loopback, and no default on any other address.",
        ),
    ] = None,
    oidc_jwks: Annotated[
        str | None,
        typer.Option(envvar="CHARTER_OIDC_JWKS", help="JWKS file or https URL: accept bearer "
                     "tokens it signs."),
    ] = None,
    oidc_issuer: Annotated[
        str | None, typer.Option(envvar="CHARTER_OIDC_ISSUER", help="Required `iss` of tokens.")
    ] = None,
    oidc_audience: Annotated[
        str | None,
        typer.Option(envvar="CHARTER_OIDC_AUDIENCE", help="Required `aud` of tokens."),
    ] = None,
    oidc_role_claim: Annotated[
        str, typer.Option(envvar="CHARTER_OIDC_ROLE_CLAIM", help="Claim naming the role.")
    ] = "charter_role",
    oidc_subject_prefixes_claim: Annotated[
        str,
        typer.Option(envvar="CHARTER_OIDC_SUBJECT_PREFIXES_CLAIM",
                     help="Claim listing subject prefixes."),
    ] = "charter_subject_prefixes",
    oidc_topic_prefixes_claim: Annotated[
        str,
        typer.Option(envvar="CHARTER_OIDC_TOPIC_PREFIXES_CLAIM",
                     help="Claim listing topic prefixes."),
    ] = "charter_topic_prefixes",
    oidc_group_prefixes_claim: Annotated[
        str,
        typer.Option(envvar="CHARTER_OIDC_GROUP_PREFIXES_CLAIM",
                     help="Claim listing consumer-group prefixes."),
    ] = "charter_group_prefixes",
    oidc_name_claim: Annotated[
        str, typer.Option(envvar="CHARTER_OIDC_NAME_CLAIM", help="Claim naming the caller.")
    ] = "sub",
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            envvar="CHARTER_CORS_ORIGINS",
            help="Allow browser calls from this origin (repeatable); CORS is off without it.",
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
    open_files_max: Annotated[
        int | None,
        typer.Option(
            envvar="CHARTER_OPEN_FILES_MAX",
            min=16,
            show_default=False,
            help="Segment and index files the broker keeps open, least recently used closed "
            "first; default half the process's descriptor limit.",
        ),
    ] = None,
    console_sample_s: Annotated[
        float,
        typer.Option(
            envvar="CHARTER_CONSOLE_SAMPLE_S",
            min=0.1,
            help="Seconds between the samples behind the console's lag and produce-rate charts.",
        ),
    ] = 5.0,
    workers: Annotated[
        int,
        typer.Option(
            envvar="CHARTER_WORKERS",
            min=1,
            max=WORKERS_MAX,
            help="Registry processes sharing the port. Above 1, serve runs the registry only: "
            "no built-in broker, no Kafka listener (run the broker in its own charter serve).",
        ),
    ] = 1,
) -> None:
    """Run the schema registry (Confluent Schema Registry API) and the broker on one port."""
    import uvicorn

    if log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(
            f"{log_level!r} is not one of {', '.join(LOG_LEVELS)}", param_hint="--log-level"
        )
    mode = auth_mode(auth, host)
    if workers > 1:
        # The broker's log is one process's (it holds the data dir's lock), and the kernel
        # hands each connection to any worker: so with several workers there is no broker.
        if kafka_port not in (None, 0):
            typer.echo(
                "charter serve: --workers above 1 serves the registry only, without the "
                "broker or its Kafka listener; leave out --kafka-port",
                err=True,
            )
            raise typer.Exit(code=2)
        kafka_port = 0
    oidc_given = [v for v in (oidc_jwks, oidc_issuer, oidc_audience) if v]
    if oidc_given and len(oidc_given) != 3:
        raise typer.BadParameter(
            "give --oidc-jwks, --oidc-issuer and --oidc-audience together", param_hint="--oidc-jwks"
        )

    from broker import Broker, DataDirLockedError
    from broker.http import body_limits, create_router
    from registry import Settings, create_app
    from registry.app import build_registry
    from registry.connections import header_timeout_protocol
    from registry.console import create_console_router
    from registry.contracts import RegistryContracts
    from registry.limits import BodyLimit
    from registry.logs import configure_logging
    from registry.metrics import Metrics
    from registry.observe import ObserveMiddleware
    from registry.observe import install as install_observability
    from registry.security import (
        AuthMode,
        OidcSettings,
        SecurityConfigError,
        SecuritySettings,
        build_guard,
        protect,
    )
    from sdk.rules import write_conditions

    oidc = None
    if oidc_jwks and oidc_issuer and oidc_audience:
        oidc = OidcSettings(
            jwks=oidc_jwks,
            issuer=oidc_issuer,
            audience=oidc_audience,
            name_claim=oidc_name_claim,
            role_claim=oidc_role_claim,
            subject_prefixes_claim=oidc_subject_prefixes_claim,
            topic_prefixes_claim=oidc_topic_prefixes_claim,
            group_prefixes_claim=oidc_group_prefixes_claim,
        )
    if log_format.lower() not in LOG_FORMATS:
        raise typer.BadParameter(
            f"{log_format!r} is not one of {', '.join(LOG_FORMATS)}", param_hint="--log-format"
        )
    log_config = configure_logging("json" if log_format.lower() == "json" else "text",
                                   log_level.lower())
    # Applied now, so what is logged before uvicorn starts (which applies it again) has the
    # same handler and format as the rest.
    logging.config.dictConfig(log_config)
    origins = tuple(o for value in cors_origin or () for o in value.split(",") if o.strip())
    security = SecuritySettings(
        auth=AuthMode(mode), oidc=oidc, cors_origins=tuple(o.strip() for o in origins)
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
    if workers > 1:
        registry.close()  # the database is migrated; each worker opens its own

        def worker(sock: Any) -> None:
            own = build_registry(settings)
            try:
                guard = build_guard(own, security)
            except SecurityConfigError as exc:
                own.close()
                typer.echo(f"charter serve: {exc}", err=True)
                raise typer.Exit(code=2) from exc
            try:
                metrics = Metrics(own.service, None)
                app = create_app(settings, registry=own,
                                 extra_routers=[create_console_router(own.service, None)],
                                 body_timeout_s=body_timeout_s)
                install_observability(app, metrics, observe=False)
                _freeze_start_up()
                config = uvicorn.Config(
                    ObserveMiddleware(protect(app, guard), metrics),
                    log_level=settings.log_level,
                    log_config=log_config,
                    http=header_timeout_protocol(header_timeout_s),
                    limit_concurrency=connections_max,
                    timeout_keep_alive=idle_timeout_s,
                )
                uvicorn.Server(config).run(sockets=[sock])
            finally:
                guard.close()

        raise typer.Exit(code=run_workers(workers, listening_socket(host, port), worker))
    # The SDK's rule engine holds producers that skip the SDK to the schemas' domain rules.
    contracts = RegistryContracts(registry.service, rules=write_conditions)
    try:
        broker = Broker(
            data_dir / "broker",
            contracts=contracts,
            group_retention_ms=group_retention_ms,
            open_files_max=open_files_max,
        )
    except DataDirLockedError as exc:
        typer.echo(f"charter serve: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    try:
        guard = build_guard(registry, security)
    except SecurityConfigError as exc:
        broker.close()
        registry.close()
        typer.echo(f"charter serve: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    listener = None
    try:
        metrics = Metrics(registry.service, broker)
        # Counted in the broker core, so HTTP, Kafka and in-process traffic each count once.
        broker.observer = metrics
        if kafka_port != 0:
            # --auth required: Kafka clients authenticate with SASL against the same guard
            listener = _start_kafka(broker, host, kafka_port, kafka_advertised_host,
                                    guard if mode == "required" else None)
        console = create_console_router(registry.service, broker,
                                        sample_interval_s=console_sample_s, contracts=contracts)
        # GET /broker/kafka names the listener: the SDK's charter:// goes through it
        kafka = None if listener is None else kafka_address(listener)
        app = create_app(
            settings,
            registry=registry,
            extra_routers=[
                create_router(broker, long_polls_max=long_polls_max, kafka=kafka),
                console,
            ],
            body_limits=[
                BodyLimit(p, n, "application/json") for p, n in body_limits(broker.limits)
            ],
            body_timeout_s=body_timeout_s,
        )
        install_observability(app, metrics, observe=False)
        _freeze_start_up()
        # The guard wraps everything but the request log: no route, metric or console page is
        # reached unchecked, and refused requests are still counted and logged with their id.
        uvicorn.run(
            ObserveMiddleware(protect(app, guard), metrics),
            host=host,
            port=port,
            log_level=settings.log_level,
            log_config=log_config,
            http=header_timeout_protocol(header_timeout_s),
            limit_concurrency=connections_max,
            timeout_keep_alive=idle_timeout_s,
        )
    finally:
        if listener is not None:
            listener.stop()
        guard.close()
        broker.close()


def listening_socket(host: str, port: int) -> Any:
    """A bound TCP socket for the workers to share. Its protocol is named (IPPROTO_TCP):
    asyncio sets TCP_NODELAY only on sockets that say so, and without it every answer waits
    for the client's delayed ACK (about 40 ms)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        typer.echo(f"charter serve: cannot listen on {host}:{port}: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    sock.set_inheritable(True)
    return sock


def run_workers(count: int, sock: Any, work: Any) -> int:
    """Fork `count` processes that each run `work(sock)` on the one listening socket (the
    kernel gives each connection to one of them); forward SIGTERM and SIGINT to them, and when
    one ends, stop the others. The exit code is the first non-zero one of theirs, else 0."""
    import contextlib
    import signal
    import sys
    import traceback

    pids: list[int] = []
    for _ in range(count):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 1
            try:
                work(sock)
                code = 0
            except typer.Exit as exc:
                code = exc.exit_code
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        pids.append(pid)
    sock.close()
    running = set(pids)
    stopping = False

    def stop(signum: int, _frame: Any = None) -> None:
        nonlocal stopping
        stopping = True
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    result = 0
    while running:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        running.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 and result == 0:
            result = code if code > 0 else 1
        if not stopping:  # one worker gone: the server is going down
            stop(signal.SIGTERM)
    return result


def kafka_address(listener: Any) -> Any:
    """The started listener's address as Kafka clients are told it (its Metadata answers):
    the advertised host, else --host (the machine's name for a wildcard), and the bound port."""
    import socket

    from broker.http import KafkaAddress

    settings = listener.settings
    host = settings.advertised_host or settings.host
    if not settings.advertised_host and settings.host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    offered = () if listener.authenticator is None else tuple(listener.authenticator.mechanisms)
    return KafkaAddress(host=host, port=listener.port, sasl_mechanisms=offered)


def _start_kafka(
    broker: Any, host: str, port: int | None, advertised_host: str | None, guard: Any = None
) -> Any:
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
    authenticator = None
    if guard is not None:
        from cli.kafka_auth import GuardAuthenticator

        authenticator = GuardAuthenticator(guard)
    listener = KafkaListener(broker, settings, authenticator)
    try:
        listener.start()
    except ListenerStartError as exc:
        if port is None:
            typer.echo(f"charter serve: warning: {exc}; running without it", err=True)
            return None
        typer.echo(f"charter serve: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    return listener
