"""SASL on the Kafka listener: who a connection is, through an `Authenticator` it is given.

The listener knows no keys or tokens: `cli/serve.py` passes an `Authenticator` that checks
them the way the HTTP routes do (the registry's security layer), so one decision covers
registry, broker, console and Kafka listener. With one, a connection must complete
SaslHandshake (v1) and SaslAuthenticate before any API but ApiVersions; anything else first,
or a failed authentication, closes the connection, as Kafka does. Mechanisms: PLAIN (RFC 4616,
`KEY` as user name, `SECRET` as password) and OAUTHBEARER (RFC 7628, a bearer JWT).

A session lasts `sasl_session_ms`: the answer tells the client (SaslAuthenticate v1+), which
re-authenticates on the same connection before then (KIP-368: a new handshake with the same
mechanism); a connection still on an expired session is closed at its next request, so a
revoked key keeps no connection for longer than that.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from broker.kafka.errors import ErrorCode, KafkaListenerError, ProtocolViolation
from broker.kafka.messages import RequestFrame

__all__ = [
    "Access",
    "AuthenticationFailed",
    "Authenticator",
    "Resource",
    "SaslState",
    "handle_sasl_authenticate",
    "handle_sasl_handshake",
    "parse_oauthbearer",
    "parse_plain",
]

SASL_HANDSHAKE_KEY = 17
SASL_AUTHENTICATE_KEY = 36
_AUTH_BYTES_MAX = 64 * 1024


class Access(enum.IntEnum):
    """What an API does, ranked as the registry's roles rank their actions."""

    READ = 1
    WRITE = 2
    ADMIN = 3


class Resource(enum.Enum):
    TOPIC = "topic"
    GROUP = "group"
    CLUSTER = "cluster"  # no name: the role alone decides


class AuthenticationFailed(KafkaListenerError):
    """The credentials are refused; the message goes back to the client."""


class Authenticator(Protocol):
    """Checks credentials and decides access; blocking calls run off the event loop."""

    @property
    def mechanisms(self) -> tuple[str, ...]: ...

    def authenticate(self, mechanism: str, auth_bytes: bytes) -> object:
        """The principal of these SASL bytes, or `AuthenticationFailed`."""
        ...

    def authorize(
        self, principal: object, access: Access, resource: Resource, names: Sequence[str]
    ) -> bool: ...

    def audit(
        self,
        principal: object,
        operation: str,
        resource: Resource,
        names: Sequence[str],
        outcome: str,
    ) -> None:
        """Record one write (`outcome` ok, denied or failed); must not block."""
        ...


def parse_plain(auth_bytes: bytes) -> tuple[str, str]:
    """(user, password) of a PLAIN message `[authzid] NUL user NUL password`."""
    if len(auth_bytes) > _AUTH_BYTES_MAX:
        raise AuthenticationFailed("the PLAIN message is too long")
    parts = auth_bytes.split(b"\x00")
    if len(parts) != 3:
        raise AuthenticationFailed("malformed PLAIN message")
    try:
        authzid, user, password = (p.decode("utf-8") for p in parts)
    except UnicodeDecodeError:
        raise AuthenticationFailed("malformed PLAIN message (not UTF-8)") from None
    if authzid and authzid != user:
        raise AuthenticationFailed("PLAIN: acting for another identity is not supported")
    return user, password


def parse_oauthbearer(auth_bytes: bytes) -> str:
    """The token of an OAUTHBEARER client response `gs2-header ^A auth=Bearer T ^A ^A`."""
    if len(auth_bytes) > _AUTH_BYTES_MAX:
        raise AuthenticationFailed("the OAUTHBEARER message is too long")
    try:
        text = auth_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthenticationFailed("malformed OAUTHBEARER message (not UTF-8)") from None
    for field in text.split("\x01")[1:]:
        key, _, value = field.partition("=")
        if key == "auth":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    raise AuthenticationFailed("malformed OAUTHBEARER message (no bearer token)")


@dataclass(slots=True)
class SaslState:
    """One connection's progress through SASL."""

    mechanism: str | None = None
    pending: bool = False  # handshake answered, authenticate not yet
    principal: object | None = None
    authenticated: bool = False
    expires_at: float | None = None  # time.monotonic() when the session ends
    close_after_answer: bool = False

    def expired(self) -> bool:
        return self.expires_at is not None and time.monotonic() >= self.expires_at


def handle_sasl_handshake(
    authenticator: Authenticator | None, state: SaslState, request: RequestFrame
) -> dict[str, Any]:
    offered = authenticator.mechanisms if authenticator is not None else ()
    mechanism = request.body.mechanism
    # twice before authenticating, or a re-authentication switching mechanism
    if state.pending or (state.authenticated and mechanism != state.mechanism):
        state.close_after_answer = True
        return {"error_code": ErrorCode.illegal_sasl_state, "mechanisms": list(offered)}
    if mechanism not in offered:
        state.close_after_answer = True
        return {"error_code": ErrorCode.unsupported_sasl_mechanism, "mechanisms": list(offered)}
    state.mechanism = mechanism
    state.pending = True
    return {"error_code": ErrorCode.none, "mechanisms": list(offered)}


async def handle_sasl_authenticate(
    authenticator: Authenticator | None,
    state: SaslState,
    request: RequestFrame,
    run: Any,
    session_ms: int,
) -> dict[str, Any]:
    """`run` is the listener's executor call: hashing a secret must not block the loop."""
    if authenticator is None or state.mechanism is None or not state.pending:
        raise ProtocolViolation("SaslAuthenticate without a SaslHandshake first")
    state.pending = False
    try:
        principal = await run(authenticator.authenticate, state.mechanism, request.body.auth_bytes)
    except AuthenticationFailed as exc:
        state.close_after_answer = True
        return {
            "error_code": ErrorCode.sasl_authentication_failed,
            "error_message": f"Authentication failed: {exc}",
            "auth_bytes": b"",
        }
    state.principal = principal
    state.authenticated = True
    if session_ms > 0:
        state.expires_at = time.monotonic() + session_ms / 1000
    return {"error_code": ErrorCode.none, "error_message": None, "auth_bytes": b"",
            "session_lifetime": max(session_ms, 0)}
