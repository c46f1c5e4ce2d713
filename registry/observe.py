"""The one ASGI middleware that meters and logs every HTTP request, and `install(app, ...)`.

`ObserveMiddleware` sits outermost: it gives each request an id (the client's `X-Request-Id`
when sane, else a fresh one), echoes it in the response, times the request, and at the end
counts it (`registry.metrics`) and writes one log line (`registry.logs`). The route *template*
(`/subjects/{subject}/versions`, not the raw path) is caught by `RouteCapture`, the innermost
middleware: routing fills the scope it sees, which inner layers may have copied.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.logs import REQUEST_LOGGER, request_id
from registry.metrics import CONTENT_TYPE, Metrics

__all__ = ["ObserveMiddleware", "RouteCapture", "install"]

HOLDER = "charter.observe"  # scope key of the per-request dict both middlewares share
UNMATCHED = "unmatched"
REQUEST_ID_HEADER = "X-Request-Id"

log = logging.getLogger(REQUEST_LOGGER)


class RouteCapture:
    """Innermost: after routing, copy the matched route's template to the shared holder.

    FastAPI's routes put themselves in the scope; bare Starlette routes and mounts only
    their endpoint, which `routes` maps back to a template."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            return str(getattr(route, "path", UNMATCHED))
        endpoint = scope.get("endpoint")
        for candidate in self.routes:
            if isinstance(candidate, Route) and candidate.endpoint is endpoint:
                return candidate.path
            if isinstance(candidate, Mount) and candidate.app is endpoint:
                return candidate.path + "/{path}"
        return UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            holder = scope.get(HOLDER)
            if holder is not None and ("route" in scope or "endpoint" in scope):
                holder["route"] = self._template(scope)


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                sent = value.decode("latin-1")
                break
        rid = request_id(sent)
        holder: dict[str, Any] = {"route": UNMATCHED}
        scope = {**scope, HOLDER: holder}
        scope.setdefault("state", {})
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = holder["route"]
            method = scope["method"]
            self.metrics.observe_request(route, method, status, seconds)
            # Authentication (when on) names the key in the scope's state.
            state = scope.get("state") or {}
            key = state.get("charter_key") if isinstance(state, dict) else None
            log.info(
                "%s %s %s", method, route, status,
                extra={
                    "request_id": rid, "route": route, "method": method,
                    "path": scope.get("path", ""), "status": status,
                    "duration_ms": round(seconds * 1000, 3), "key": key,
                },
            )


def install(app: FastAPI, metrics: Metrics, *, observe: bool = True) -> None:
    """Mount `GET /metrics` and the middlewares on a built app (before it starts).

    `observe=False` leaves `ObserveMiddleware` out, for a caller that wraps it around more than
    the app (`charter serve` puts it outside the security guard, so refused requests are
    counted and logged too)."""

    async def metrics_endpoint(_: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    app.router.routes.insert(0, Route("/metrics", metrics_endpoint, methods=["GET"],
                                      name="metrics", include_in_schema=False))
    app.user_middleware.append(Middleware(RouteCapture, routes=app.router.routes))
    if observe:
        app.add_middleware(ObserveMiddleware, metrics=metrics)
