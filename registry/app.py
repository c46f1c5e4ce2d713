"""`create_app(settings)`: the registry as a FastAPI app, built with no import-time state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from registry import errors
from registry.cache import SchemaCache
from registry.db import Database
from registry.http import EncodedSlashMiddleware, Registry, RegistryResponse, error_response
from registry.routers import compatibility, config, meta, mode, schemas, subjects
from registry.settings import Settings
from registry.store import Store

__all__ = ["build_registry", "create_app"]

log = logging.getLogger("charter.registry")


def build_registry(settings: Settings, *, migrate: bool = True) -> Registry:
    database = Database(settings)
    if migrate:
        database.migrate()
    store = Store(database)
    store.ensure_cluster_id()
    return Registry(settings, database, store, SchemaCache())


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as `{"error_code": int, "message": str}`."""

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

    async def store_error(_: Request, exc: Exception) -> Response:
        log.exception("database error", exc_info=exc)
        return error_response(500, 50001, "Error in the backend data store")

    async def unexpected_error(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, 50000, f"Internal server error: {type(exc).__name__}")

    app.add_exception_handler(errors.RegistryError, registry_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(SQLAlchemyError, store_error)
    app.add_exception_handler(Exception, unexpected_error)


def create_app(
    settings: Settings,
    *,
    registry: Registry | None = None,
    extra_routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The registry app. Runs the migrations to head unless a built `registry` is passed.

    `extra_routers` are mounted beside the registry's own (the broker's HTTP API goes here).
    """
    registry = registry or build_registry(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        registry.database.dispose()

    app = FastAPI(
        title="Charter schema registry",
        default_response_class=RegistryResponse,
        lifespan=lifespan,
    )
    app.state.registry = registry
    install_error_handlers(app)
    for module in (meta, subjects, schemas, config, mode, compatibility):
        app.include_router(module.router)
    for router in extra_routers:
        app.include_router(router)
    # The consumers' hot path goes first and bypasses FastAPI's dependency machinery.
    app.router.routes.insert(0, schemas.schema_by_id_route(registry))
    app.add_middleware(EncodedSlashMiddleware)
    return app
