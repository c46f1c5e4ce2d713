"""ASGI guards that bound what one request may cost: its body size and how slowly it arrives.

`BodyLimitMiddleware` refuses a body above its route's limit before the application reads it:
a declared `Content-Length` above the limit is answered 413 at once; a chunked body is counted
as it arrives and refused as soon as it goes past the limit (the application then sees the
client as gone). `BodyTimeoutMiddleware` answers 408 when a request's body stops arriving, so a
half-sent request cannot hold a connection for ever. Both answer as every error of the service
does: `{"error_code": int, "message": str}`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.errors import RequestTooLarge

__all__ = [
    "BODY_TIMEOUT_S_DEFAULT",
    "ERROR_MEDIA_TYPE",
    "BodyLimit",
    "BodyLimitMiddleware",
    "BodyTimeoutMiddleware",
    "OncePer",
    "is_out_of_descriptors",
    "quiet_resource_errors",
]

BODY_TIMEOUT_CODE = 40801
ERROR_MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
BODY_TIMEOUT_S_DEFAULT = 30.0


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """Requests whose path matches `pattern` (a regular expression, matched from the start)
    may send at most `bytes_max` bytes of body; a larger one is refused with
    `RequestTooLarge` in `media_type`."""

    pattern: str
    bytes_max: int
    media_type: str = ERROR_MEDIA_TYPE


class _Refused(Exception):
    """Raised inside the guard once it has answered; never leaves the middleware."""


async def _answer(
    send: Send, status: int, code: int, message: str, *, media_type: str = ERROR_MEDIA_TYPE
) -> None:
    body = orjson.dumps({"error_code": code, "message": message})
    headers = [
        (b"content-type", media_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers.append((b"connection", b"close"))  # the rest of the request is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Guarded:
    """One request's receive/send pair: once the guard has answered, the application's own
    answer is dropped and its reads see a disconnect."""

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self.started = False
        self.answered = False

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def refuse(self, status: int, code: int, message: str, media_type: str) -> None:
        if not self.started and not self.answered:
            self.answered = True
            await _answer(self._send, status, code, message, media_type=media_type)
        self.answered = True


class BodyLimitMiddleware:
    """A body limit on every route: `limits` first (the first whose pattern matches), else
    `default_bytes_max`."""

    def __init__(
        self, app: ASGIApp, *, default_bytes_max: int, limits: Sequence[BodyLimit] = ()
    ) -> None:
        self.app = app
        self.default_bytes_max = default_bytes_max
        self._limits = [(re.compile(limit.pattern), limit) for limit in limits]
        self._default = BodyLimit("", default_bytes_max)

    def limit_for(self, path: str) -> BodyLimit:
        for pattern, limit in self._limits:
            if pattern.match(path):
                return limit
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit.bytes_max:
            error = RequestTooLarge.over(limit.bytes_max, declared)
            await _answer(send, error.status, error.error_code, error.message,
                          media_type=limit.media_type)
            return
        too_large = RequestTooLarge.over(limit.bytes_max)
        refusal = (too_large.status, too_large.error_code, too_large.message, limit.media_type)
        guarded = _Guarded(receive, send)
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            if guarded.answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit.bytes_max:
                    await guarded.refuse(*refusal)
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, counting_receive, guarded.send)
        except Exception:
            if not guarded.answered:
                raise


class BodyTimeoutMiddleware:
    """408 when `timeout_s` passes between two parts of a request body (or before the first)."""

    def __init__(self, app: ASGIApp, *, timeout_s: float = BODY_TIMEOUT_S_DEFAULT) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guarded = _Guarded(receive, send)
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if guarded.answered:
                return {"type": "http.disconnect"}
            if body_done:  # afterwards receive() only waits for a disconnect: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                await guarded.refuse(
                    408,
                    BODY_TIMEOUT_CODE,
                    f"The request body did not arrive within {self.timeout_s:g} s",
                    ERROR_MEDIA_TYPE,
                )
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        try:
            await self.app(scope, timed_receive, guarded.send)
        except Exception:
            if not guarded.answered:
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def is_out_of_descriptors(exc: BaseException) -> bool:
    """True for the OSErrors that mean the process or system ran out of descriptors."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


class OncePer:
    """`ready()` is true at most once per `interval_s`; counts the calls it suppressed."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._next = 0.0
        self.suppressed = 0

    def ready(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            self.suppressed += 1
            return False
        self._next = now + self.interval_s
        return True


def quiet_resource_errors(
    loop: asyncio.AbstractEventLoop, log: logging.Logger, interval_s: float = 60.0
) -> None:
    """Log the event loop's `accept()` failures for lack of descriptors once per interval, in
    one line, instead of a traceback every second (asyncio pauses accepting and retries)."""
    previous = loop.get_exception_handler()
    once = OncePer(interval_s)

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException) and is_out_of_descriptors(exc):
            if once.ready():
                log.error(
                    "out of file descriptors: new connections wait (%s; %d more since)",
                    exc,
                    once.suppressed,
                )
                once.suppressed = 0
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
