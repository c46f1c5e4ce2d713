"""Connection-level guards for uvicorn: a deadline for a request's line and headers.

uvicorn times out a keep-alive connection between requests (`timeout_keep_alive`), but not a
connection that never sends a request, nor one that stops half-way through its headers: each
would hold a descriptor for ever. `header_timeout_protocol(s)` returns uvicorn's HTTP protocol
with one more timer: armed when a connection opens and whenever bytes of a new request start
arriving, cancelled when the request's headers are complete; when it fires the connection is
closed. Bodies are guarded separately (registry.limits.BodyTimeoutMiddleware).
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["header_timeout_protocol"]


def _base_protocol() -> type[asyncio.Protocol]:
    # What uvicorn's http="auto" picks: httptools when installed, else h11.
    if importlib.util.find_spec("httptools") is not None:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    return H11Protocol


def header_timeout_protocol(timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class, closing connections whose headers take over `timeout_s`."""
    base: Any = _base_protocol()

    class HeaderTimeoutProtocol(base):  # type: ignore[misc]
        _header_timer: asyncio.TimerHandle | None = None
        _armed_cycle: object = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            cycle = self.cycle
            if self._header_timer is not None:
                if cycle is not self._armed_cycle:  # a request's headers are complete
                    self._disarm()
            elif cycle is None or cycle.response_complete:  # bytes of the next request
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._armed_cycle = self.cycle
            self._header_timer = self.loop.call_later(timeout_s, self._headers_late)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.cycle is self._armed_cycle and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
