"""The asyncio server: frames in, one request at a time per connection, responses in order.

A frame is a 4-byte big-endian size and that many bytes: the request header (api key,
version, correlation id, client id) and the body, both parsed with kio. A frame above
`request_bytes_max`, an unknown API key or version (but ApiVersions, which answers
UNSUPPORTED_VERSION with the versions served), or bytes that do not parse close the
connection, as Kafka does; nothing else is affected. A connection silent for
`idle_timeout_ms`, or one that starts a frame and stalls, is closed too.

`KafkaListener.start()` runs the server on its own thread and event loop beside the HTTP
server; the broker core is synchronous, so its disk and registry calls go to a bounded
executor and the loop only ever awaits.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import threading
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from broker import batch_v2
from broker.broker import Broker
from broker.kafka import access, admin, fetch, groups, metadata, produce
from broker.kafka.auth import (
    SASL_AUTHENTICATE_KEY,
    SASL_HANDSHAKE_KEY,
    Authenticator,
    SaslState,
    handle_sasl_authenticate,
    handle_sasl_handshake,
)
from broker.kafka.context import Context, ListenerSettings
from broker.kafka.errors import (
    ErrorCode,
    FrameTooLargeError,
    ListenerStartError,
    ProtocolViolation,
    UnknownApiError,
)
from broker.kafka.messages import (
    RequestFrame,
    encode_response,
    parse_request,
    peek_header,
    request_class,
    response_class,
)

__all__ = ["API_VERSIONS", "KafkaListener"]

log = logging.getLogger("charter.kafka")

Handler = Callable[[Context, RequestFrame], Awaitable[dict[str, Any] | None]]
_SIZE_BYTES = 4
_API_VERSIONS_KEY = 18
_PRODUCE_KEY = 0
_PRODUCE_GROUP_MAX = 32  # produce requests appended and flushed as one group, at most
# groups appended whose flush is still running: the next group is appended meanwhile
_PRODUCE_GROUPS_FLUSHING_MAX = 2
_READ_AHEAD_BYTES = 8 * 1024 * 1024  # read ahead of the request being answered, at most
# the socket reader's buffer (asyncio pauses reading at twice this): big produce frames
# arrive in a few reads, not dozens of 64 KiB ones
_STREAM_BUFFER_BYTES = 1024 * 1024


def _api_key(frame: bytes) -> int:
    return int.from_bytes(frame[:2], "big", signed=True)


class _ReadAhead:
    """Frames read but not yet answered: at most `_READ_AHEAD_BYTES` of them (one frame of any
    size is always let in), then the reader waits. `None` marks the end; a failure is raised
    to the serving side once the frames before it are taken."""

    def __init__(self) -> None:
        self._frames: collections.deque[bytes | None] = collections.deque()
        self._bytes = 0
        self._failure: BaseException | None = None
        self._changed = asyncio.Event()

    async def put(self, frame: bytes | None) -> None:
        while self._frames and self._bytes >= _READ_AHEAD_BYTES:
            self._changed.clear()
            await self._changed.wait()
        self._frames.append(frame)
        self._bytes += len(frame or b"")
        self._changed.set()

    def fail(self, exc: BaseException) -> None:
        self._failure = exc
        self._changed.set()

    def finished(self) -> None:
        """The end was taken by a look-ahead: the next `get` answers None again."""
        self._frames.appendleft(None)

    def ready(self) -> bool:
        """Whether `get` would answer without waiting."""
        return bool(self._frames)

    async def wait_ready(self) -> None:
        """Until `get` would answer without waiting."""
        while not self._frames and self._failure is None:
            self._changed.clear()
            await self._changed.wait()

    async def get(self) -> bytes | None:
        while not self._frames:
            if self._failure is not None:
                raise self._failure
            self._changed.clear()
            await self._changed.wait()
        frame = self._frames.popleft()
        self._bytes -= len(frame or b"")
        self._changed.set()
        return frame


@dataclass(frozen=True, slots=True)
class Api:
    key: int
    name: str  # kio's module name
    min_version: int
    max_version: int
    handler: Handler | None  # None: served by the connection itself (needs its peer)


async def _api_versions(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    return _versions_answer(ErrorCode.none)


def _versions_answer(code: ErrorCode) -> dict[str, Any]:
    return {
        "error_code": code,
        "api_keys": [
            {"api_key": a.key, "min_version": a.min_version, "max_version": a.max_version}
            for a in API_VERSIONS.values()
        ],
    }


API_VERSIONS: dict[int, Api] = {
    a.key: a
    for a in (
        Api(0, "produce", 3, 9, produce.handle_produce),
        Api(1, "fetch", 4, 12, fetch.handle_fetch),
        Api(2, "list_offsets", 1, 6, fetch.handle_list_offsets),
        Api(3, "metadata", 1, 9, metadata.handle_metadata),
        Api(8, "offset_commit", 2, 8, groups.handle_offset_commit),
        Api(9, "offset_fetch", 1, 7, groups.handle_offset_fetch),
        Api(10, "find_coordinator", 0, 3, groups.handle_find_coordinator),
        Api(11, "join_group", 0, 7, None),
        Api(12, "heartbeat", 0, 4, groups.handle_heartbeat),
        Api(13, "leave_group", 0, 4, groups.handle_leave_group),
        Api(14, "sync_group", 0, 5, groups.handle_sync_group),
        Api(15, "describe_groups", 0, 5, groups.handle_describe_groups),
        Api(16, "list_groups", 0, 4, groups.handle_list_groups),
        Api(17, "sasl_handshake", 1, 1, None),
        Api(18, "api_versions", 0, 3, _api_versions),
        Api(19, "create_topics", 2, 7, admin.handle_create_topics),
        Api(20, "delete_topics", 1, 5, admin.handle_delete_topics),
        Api(22, "init_producer_id", 0, 4, produce.handle_init_producer_id),
        Api(32, "describe_configs", 1, 4, admin.handle_describe_configs),
        Api(36, "sasl_authenticate", 0, 2, None),
    )
}


def _advertised(settings: ListenerSettings) -> str:
    if settings.advertised_host:
        return settings.advertised_host
    if settings.host in ("", "0.0.0.0", "::"):
        return socket.getfqdn()
    return settings.host


class KafkaListener:
    """Kafka's protocol over one broker; `start` binds (or raises ListenerStartError)."""

    def __init__(
        self,
        broker: Broker,
        settings: ListenerSettings | None = None,
        authenticator: Authenticator | None = None,
    ) -> None:
        self.broker = broker
        self.settings = settings or ListenerSettings()
        # None: no SASL, every connection may do everything (`--auth none`)
        self.authenticator = authenticator
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._ctx: Context | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = self.settings.port

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Bind and serve on a daemon thread; returns once the port is bound."""
        batch_v2.load_reader()  # produced batches are read from the first request on
        for api in (API_VERSIONS[0], API_VERSIONS[1]):  # produce and fetch: kio loads a
            for version in range(api.min_version, api.max_version + 1):  # class on first use
                request_class(api.name, version)
                response_class(api.name, version)
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._shutdown())
                loop.close()

        self._thread = threading.Thread(target=run, name="charter-kafka", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            exc = failure[0]
            raise ListenerStartError(
                f"cannot listen for Kafka clients on {self.settings.host}:{self.settings.port}: "
                f"{exc}"
            ) from exc

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()

    async def _open(self) -> None:
        ctx = Context(self.broker, self.settings, _advertised(self.settings))
        self._ctx = ctx
        try:
            self._server = await asyncio.start_server(
                self._connection,
                self.settings.host,
                self.settings.port,
                limit=_STREAM_BUFFER_BYTES,
                backlog=min(self.settings.connections_max, 1024),
            )
        except BaseException:
            ctx.close()
            raise
        self.port = ctx.port = self._server.sockets[0].getsockname()[1]
        ctx.coordinator.start()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        if self._ctx is not None:
            self._ctx.close()

    # ------------------------------------------------------------------ connections

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None and self._ctx is not None
        peer = writer.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) else ""
        if len(self._connections) >= self.settings.connections_max:
            log.warning("Kafka connection from %s refused: connections_max reached", host)
            writer.close()
            return
        self._connections.add(task)
        try:
            await self._serve(self._ctx, reader, writer, host)
        except ProtocolViolation as exc:
            log.info("Kafka connection from %s closed: %s", host, exc)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("Kafka connection from %s closed by an unexpected error", host)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(
        self,
        ctx: Context,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        host: str,
    ) -> None:
        """Answer the connection's requests in order. Frames are read ahead (a bounded few,
        `_READ_AHEAD_BYTES`), so produce requests that queued up meanwhile are appended and
        flushed together (produce.append_group and finish_group). A produce group is answered
        once its flush is done; the next group is appended while it runs (at most
        `_PRODUCE_GROUPS_FLUSHING_MAX` groups wait for theirs), so the fdatasync of one group
        overlaps the reading and appending of the next. Any other request waits until every
        produce before it is answered."""
        frames = _ReadAhead()
        sasl = SaslState()
        reading = asyncio.create_task(self._read_frames(reader, frames))
        # produce groups appended, their answers waiting for their flush, oldest first
        flushing: collections.deque[asyncio.Task[list[bytes | None]]] = collections.deque()

        async def answer_oldest() -> None:
            for response in await flushing.popleft():
                if response is not None:
                    writer.write(response)

        try:
            pending: bytes | None = None
            while True:
                if flushing and pending is None and not frames.ready():
                    # nothing read to work on: answer the oldest group once flushed, unless
                    # a frame comes first (then it is appended while that flush runs)
                    arrived = asyncio.create_task(frames.wait_ready())
                    await asyncio.wait({flushing[0], arrived}, return_when=FIRST_COMPLETED)
                    arrived.cancel()
                    while flushing and flushing[0].done():
                        await answer_oldest()
                    await writer.drain()
                    continue
                frame = pending if pending is not None else await frames.get()
                pending = None
                if frame is None:
                    while flushing:
                        await answer_oldest()
                    await writer.drain()
                    return
                if _api_key(frame) != _PRODUCE_KEY:
                    while flushing:  # answers go out in the order the requests came
                        await answer_oldest()
                    response = await self._answer(ctx, frame, host, sasl)
                    if response is not None:
                        writer.write(response)
                    await writer.drain()
                    if sasl.close_after_answer:  # a failed handshake or authentication
                        log.info("Kafka connection from %s closed: SASL failed", host)
                        return
                    continue
                group = [frame]
                while len(group) < _PRODUCE_GROUP_MAX and frames.ready():
                    following = await frames.get()
                    if following is None:
                        frames.finished()
                        break
                    if _api_key(following) != _PRODUCE_KEY:
                        pending = following
                        break
                    group.append(following)
                answers = await self._append_produce(group, sasl)
                flushing.append(asyncio.create_task(answers()))
                while len(flushing) > _PRODUCE_GROUPS_FLUSHING_MAX or (
                    flushing and flushing[0].done()
                ):
                    await answer_oldest()
                await writer.drain()
        finally:
            for task in flushing:  # appended already: let their flushes end, unanswered
                with contextlib.suppress(BaseException):
                    await task
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading

    async def _read_frames(self, reader: asyncio.StreamReader, frames: _ReadAhead) -> None:
        """Frames into `frames` until the client closes (None) or a violation (raised by the
        serving side when it reaches it, after the frames before it are answered)."""
        settings = self.settings
        idle_s = settings.idle_timeout_ms / 1000
        frame_s = settings.frame_timeout_ms / 1000
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readexactly(_SIZE_BYTES), idle_s)
                except asyncio.IncompleteReadError:
                    await frames.put(None)  # the client closed the connection
                    return
                size = int.from_bytes(head, "big", signed=True)
                if size > settings.request_bytes_max:
                    raise FrameTooLargeError(size, settings.request_bytes_max)
                if size < 8:
                    raise ProtocolViolation(f"a frame of {size} bytes cannot hold a request")
                await frames.put(await asyncio.wait_for(reader.readexactly(size), frame_s))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            frames.fail(exc)

    async def _append_produce(
        self, frames: list[bytes], sasl: SaslState
    ) -> Callable[[], Coroutine[Any, Any, list[bytes | None]]]:
        """Append consecutive produce frames as one group; returns what answers them once
        their flush is done (produce.append_group and finish_group)."""
        ctx = self._ctx
        assert ctx is not None
        api = API_VERSIONS[_PRODUCE_KEY]
        requests = []
        gates: list[access.Gate | None] = []
        for frame in frames:
            _key, version, _correlation = peek_header(frame)
            if not api.min_version <= version <= api.max_version:
                raise UnknownApiError(_PRODUCE_KEY, version)
            request = parse_request(frame, api.name, version)
            gate = self._gate(api.name, request, sasl)
            gates.append(gate)
            requests.append(request if gate is None else gate.request or request)
        run = [r for r, g in zip(requests, gates, strict=True) if g is None or g.request]
        appended = await produce.append_group(ctx, run) if run else None

        async def answers() -> list[bytes | None]:
            ran = iter(await produce.finish_group(ctx, appended) if appended else [])
            trees: list[dict[str, Any] | None] = []
            for gate in gates:
                tree = next(ran) if gate is None or gate.request is not None else None
                trees.append(tree if gate is None else self._finish("produce", gate, tree, sasl))
            out: list[bytes | None] = []
            for request, tree in zip(requests, trees, strict=True):
                version, correlation = request.version, request.correlation_id
                out.append(
                    None
                    if tree is None
                    else encode_response(
                        "produce", version, correlation, tree, strict=version == api.max_version
                    )
                )
            return out

        return answers

    def _gate(self, name: str, request: RequestFrame, sasl: SaslState) -> access.Gate | None:
        """What of `request` the connection's principal may run; None without SASL."""
        auth = self.authenticator
        if auth is None:
            return None
        if not sasl.authenticated:  # Kafka closes such a connection
            raise ProtocolViolation(f"{name} before SASL authentication")
        if sasl.expired():
            raise ProtocolViolation(f"{name} on an expired SASL session")
        return access.restrict(name, request, auth, sasl.principal)

    def _finish(
        self, name: str, gate: access.Gate, tree: dict[str, Any] | None, sasl: SaslState
    ) -> dict[str, Any] | None:
        answer = gate.finish(tree)
        if self.authenticator is not None and name in access.AUDITED:
            self.authenticator.audit(
                sasl.principal, name, gate.resource, gate.names, access.outcome(gate, answer)
            )
        return answer

    async def _answer(
        self, ctx: Context, frame: bytes, host: str, sasl: SaslState
    ) -> bytes | None:
        key, version, correlation = peek_header(frame)
        api = API_VERSIONS.get(key)
        if api is None:
            raise UnknownApiError(key, version)
        if not api.min_version <= version <= api.max_version:
            if key == _API_VERSIONS_KEY:  # the client learns what we serve, then retries
                answer = _versions_answer(ErrorCode.unsupported_version)
                return encode_response("api_versions", 0, correlation, answer, strict=False)
            raise UnknownApiError(key, version)
        request = parse_request(frame, api.name, version)
        tree: dict[str, Any] | None
        if key == SASL_HANDSHAKE_KEY:
            tree = handle_sasl_handshake(self.authenticator, sasl, request)
        elif key == SASL_AUTHENTICATE_KEY:
            tree = await handle_sasl_authenticate(
                self.authenticator, sasl, request, ctx.run, self.settings.sasl_session_ms
            )
        elif key == _API_VERSIONS_KEY:
            tree = await _api_versions(ctx, request)
        else:
            gate = self._gate(api.name, request, sasl)
            run = request if gate is None else gate.request
            if run is None:
                tree = None
            elif api.handler is None:
                tree = await groups.handle_join_group(ctx, run, host)
            else:
                tree = await api.handler(ctx, run)
            if gate is not None:
                tree = self._finish(api.name, gate, tree, sasl)
        if tree is None:
            return None
        return encode_response(
            api.name, version, correlation, tree, strict=version == api.max_version
        )
