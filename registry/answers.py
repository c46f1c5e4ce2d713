"""Re-registration and lookup answered from memory, before the web framework's routing.

Every producer with `auto.register.schemas` (the client's default) posts its schema to
`POST /subjects/{s}/versions` at start-up, and `use.latest.version` clients post it to
`POST /subjects/{s}`: the same request, again and again, whose answer changes only when the
data behind it does. `AnswerMiddleware` keeps the app's whole answer (status 200 only) to such
a request, keyed by every byte the app reads of it (path, query, content type, body), and
serves it again without routing, body models, a thread hop, parsing or a query. What may change
an answer, and when each answer is dropped, is `registry.memory.Answers`; it is filled under
the service's generation rule (`registry.cache`), and only while the service trusts its memory
(on PostgreSQL, while it hears the other processes' notices).

It runs inside the path middlewares (`registry.http`), so it sees `/contexts/{ctx}/...` as the
qualified subject route, and outside the app's error handling, so it sees errors as answers
(never kept).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry import errors
from registry.http import SLASH_FLAG, SLASH_STAND_IN, Registry, check_subject
from registry.memory import Answer, AnswerKey
from registry.observe import HOLDER
from registry.qualified import check_subject_name

__all__ = ["ANSWER_BODY_BYTES_MAX", "AnswerMiddleware"]

# Requests with larger bodies go the ordinary way (their schemas are rare and costly to key).
ANSWER_BODY_BYTES_MAX = 256 * 1024
LOOKUP, REGISTER = b"lookup", b"register"
TEMPLATES = {LOOKUP: "/subjects/{subject}", REGISTER: "/subjects/{subject}/versions"}


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


class AnswerMiddleware:
    def __init__(self, app: ASGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry
        self.caches = registry.service.caches

    def _subject(self, scope: Scope) -> tuple[bytes, str] | None:
        """(kind, qualified subject) of a lookup or registration request, else None."""
        parts = scope.get("path", "").split("/")
        if len(parts) == 3 and parts[1] == "subjects":
            kind = LOOKUP
        elif len(parts) == 4 and parts[1] == "subjects" and parts[3] == "versions":
            kind = REGISTER
        else:
            return None
        subject = parts[2]
        if scope.get(SLASH_FLAG):
            subject = subject.replace(SLASH_STAND_IN, "/")
        try:  # as `registry.http.subject_param` reads it; a bad name is the route's to refuse
            return kind, check_subject_name(check_subject(subject, self.registry.settings)).name
        except errors.RegistryError:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not self.caches.trusted:
            await self.app(scope, receive, send)
            return
        found = self._subject(scope)
        declared = _header(scope, b"content-length")
        if (found is None or declared is None or not declared.isdigit()
                or int(declared) > ANSWER_BODY_BYTES_MAX):
            await self.app(scope, receive, send)
            return
        kind, subject = found
        body, complete = await _read(receive, int(declared))
        if not complete:  # the client went away, or sent another length than it declared
            await self.app(scope, _replay(body, receive, more=True), send)
            return
        key: AnswerKey = (kind, scope.get("path", "").encode("utf-8", "surrogatepass"),
                          scope.get("query_string", b""),
                          _header(scope, b"content-type") or b"", body)
        # References make an answer depend on other subjects: kept under no subject.
        owner = None if b"references" in body else subject
        self.caches.check()
        answers = self.caches.answers
        answer = answers.get(owner, key)
        if answer is not None:
            holder = scope.get(HOLDER)  # the request log and metrics name the route
            if holder is not None:
                holder["route"] = TEMPLATES[kind]
            await send({"type": "http.response.start", "status": answer.status,
                        "headers": list(answer.headers)})
            await send({"type": "http.response.body", "body": answer.body})
            return
        token = self.caches.generation.token()  # before the app reads anything
        captured = _Capture(send)
        await self.app(scope, _replay(body, receive, more=False), captured.send)
        answer = captured.answer()
        if answer is not None and self.caches.trusted:
            answers.put(owner, key, answer, token)


async def _read(receive: Receive, length: int) -> tuple[bytes, bool]:
    """The body, and whether it arrived whole and as long as declared."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > length:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), size == length


def _replay(body: bytes, receive: Receive, *, more: bool) -> Receive:
    """A receive that gives `body` first, then (if `more`) what the client sends next."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed


class _Capture:
    """Passes the app's answer on, keeping a copy when it is a plain, whole 200."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._status = 0
        self._headers: tuple[tuple[bytes, bytes], ...] = ()
        self._chunks: list[bytes] = []
        self._complete = False
        self._plain = True

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = int(message["status"])
            self._headers = tuple((bytes(k), bytes(v)) for k, v in message.get("headers", ()))
        elif message["type"] == "http.response.body":
            self._chunks.append(bytes(message.get("body", b"")))
            self._complete = not message.get("more_body", False)
        else:  # trailers, pushes: not an answer to repeat
            self._plain = False
        await self._send(message)

    def answer(self) -> Answer | None:
        if self._status != 200 or not self._complete or not self._plain:
            return None
        return Answer(self._status, self._headers, b"".join(self._chunks))
