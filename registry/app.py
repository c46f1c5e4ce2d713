"""`create_app(settings)`: the registry as a FastAPI app, built with no import-time state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from registry import errors
from registry.answers import AnswerMiddleware
from registry.coherence import ChangeListener
from registry.db import Database
from registry.dek import DekService
from registry.dek import router as dek_router
from registry.dek.repository import DekRepository
from registry.http import (
    ContextPathMiddleware,
    EncodedSlashMiddleware,
    Registry,
    RegistryResponse,
    error_response,
)
from registry.limits import (
    BODY_TIMEOUT_S_DEFAULT,
    BodyLimit,
    BodyLimitMiddleware,
    BodyTimeoutMiddleware,
    OncePer,
    is_out_of_descriptors,
    quiet_resource_errors,
)
from registry.openapi import AUTH, BODY, SERVER, answers
from registry.repository import Repository
from registry.routers import compatibility, config, meta, mode, schemas, subjects
from registry.service import RegistryService
from registry.settings import Settings

__all__ = ["build_registry", "create_app"]

log = logging.getLogger("charter.registry")


LISTEN_WAIT_S = 5.0


def build_registry(
    settings: Settings, *, migrate: bool = True, prepare: bool = True
) -> Registry:
    """Repository, service and, on PostgreSQL, the listener for other processes' changes.

    `prepare` migrates (when `migrate`), records the cluster id and starts the listener;
    without it nothing touches the database until the first request."""
    database = Database(settings)
    service = RegistryService(Repository(database))
    if not prepare:
        return Registry(settings, service)
    if migrate:
        database.migrate()
    service.ensure_cluster_id()
    listener = None
    if not database.is_sqlite:
        listener = ChangeListener(
            database.url,
            service.apply_notice,
            service.set_listening,
            name=f"charter-listener-{service.caches.origin}",
        )
        listener.start()
        # Serving starts either way; until the listener is up, reads skip every cache.
        listener.wait_listening(LISTEN_WAIT_S)
    return Registry(settings, service, listener)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(parts)


DESCRIPTOR_LOG_INTERVAL_S = 60.0


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as `{"error_code": int, "message": str}`."""
    out_of_descriptors = OncePer(DESCRIPTOR_LOG_INTERVAL_S)

    def exhausted() -> Response:
        # Logged once per interval: under exhaustion every request would log a traceback.
        if out_of_descriptors.ready():
            log.error(
                "out of file descriptors: answering 503 (%d more since the last line)",
                out_of_descriptors.suppressed,
            )
            out_of_descriptors.suppressed = 0
        response = error_response(503, 50302, "The server is out of resources; retry later")
        response.headers["Retry-After"] = "1"
        return response

    async def registry_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.RegistryError)
        return error_response(exc.status, exc.error_code, exc.message)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        try:
            phrase = HTTPStatus(exc.status_code).phrase
        except ValueError:
            phrase = ""
        message = f"HTTP {exc.status_code} {phrase}".strip()
        response = error_response(exc.status_code, exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, 422, _validation_message(exc))

    async def disconnected(_: Request, exc: Exception) -> Response:
        # The client went away or a guard in registry.limits has answered: nobody reads this.
        return error_response(400, 40002, "The client disconnected before the body was read")

    async def store_error(_: Request, exc: Exception) -> Response:
        if is_out_of_descriptors(exc):
            return exhausted()
        log.exception("database error", exc_info=exc)
        return error_response(500, 50001, "Error in the backend data store")

    async def os_error(_: Request, exc: Exception) -> Response:
        # Handled here, not in unexpected_error: Starlette re-raises what reaches that one,
        # and the server would log a traceback per request.
        if is_out_of_descriptors(exc):
            return exhausted()
        raise exc

    async def unexpected_error(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, 50000, f"Internal server error: {type(exc).__name__}")

    app.add_exception_handler(errors.RegistryError, registry_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ClientDisconnect, disconnected)
    app.add_exception_handler(SQLAlchemyError, store_error)
    app.add_exception_handler(OSError, os_error)
    app.add_exception_handler(Exception, unexpected_error)


def create_app(
    settings: Settings,
    *,
    registry: Registry | None = None,
    extra_routers: Sequence[APIRouter] = (),
    body_limits: Sequence[BodyLimit] = (),
    body_timeout_s: float = BODY_TIMEOUT_S_DEFAULT,
) -> FastAPI:
    """The registry app. Runs the migrations to head unless a built `registry` is passed.

    `extra_routers` are mounted beside the registry's own (the broker's HTTP API goes here).
    Every request body is limited to `settings.request_bytes_max` unless one of `body_limits`
    matches its path first, and must keep arriving (`body_timeout_s` between parts).
    """
    registry = registry or build_registry(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        quiet_resource_errors(asyncio.get_running_loop(), log, DESCRIPTOR_LOG_INTERVAL_S)
        yield
        registry.close()

    app = FastAPI(
        title="Charter schema registry",
        default_response_class=RegistryResponse,
        lifespan=lifespan,
    )
    app.state.registry = registry
    install_error_handlers(app)
    for module in (meta, subjects, schemas, config, mode, compatibility):
        app.include_router(module.router)
    app.state.dek = DekService(
        DekRepository(registry.database), subject_length_max=settings.subject_length_max
    )
    app.include_router(dek_router, responses=answers(*AUTH, *SERVER, *BODY, 404, 409))
    for router in extra_routers:  # the broker's errors have the same shape and codes
        app.include_router(router, responses=answers(*AUTH, *SERVER, *BODY, 404, 409, 416))
    # The consumers' hot path goes first and bypasses FastAPI's dependency machinery.
    app.router.routes.insert(0, schemas.schema_by_id_route(registry))
    app.add_middleware(AnswerMiddleware, registry=registry)  # innermost: sees the routes' paths
    app.add_middleware(ContextPathMiddleware)  # inside the next: sees the decoded path
    app.add_middleware(EncodedSlashMiddleware)
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=body_timeout_s)
    app.add_middleware(
        BodyLimitMiddleware, default_bytes_max=settings.request_bytes_max, limits=body_limits
    )
    return app
