"""Who is asking, and may they: `Guard.authenticate` and the one decision function `decide`.

`decide` is the single place an operation is allowed or refused, for the registry's routes and
the broker's alike: the principal's role must grant the rule's action, and every subject,
topic or consumer group the operation names must be inside the principal's prefixes. A schema
id or GUID is allowed when the schema belongs to at least one subject the principal may read
(ids are global); one no subject holds is let through, and the registry answers 404.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence

from registry.security.audit import AuditTrail
from registry.security.errors import Forbidden, Unauthenticated
from registry.security.keys import KeyStore
from registry.security.oidc import TokenVerifier
from registry.security.roles import Action, Kind, Principal, Role
from registry.security.settings import AuthMode, SecuritySettings

__all__ = ["ANONYMOUS", "Credentials", "Guard", "decide", "parse_authorization"]

# `--auth none`: everyone may do everything, and the audit trail says "anonymous".
ANONYMOUS = Principal("anonymous", Role.ADMIN, via="anonymous")
AUTHORIZATION_BYTES_MAX = 16 * 1024 + 16

Credentials = tuple[str, str] | str  # (key, secret) for Basic, a JWT for Bearer


def parse_authorization(value: str | None) -> Credentials:
    """The credentials of an Authorization header, or `Unauthenticated`."""
    if not value:
        raise Unauthenticated("Unauthorized: credentials are required")
    if len(value) > AUTHORIZATION_BYTES_MAX:
        raise Unauthenticated("Unauthorized: the Authorization header is too long")
    scheme, _, rest = value.strip().partition(" ")
    rest = rest.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("Unauthorized: malformed Basic credentials") from None
        key, colon, secret = decoded.partition(":")
        if not colon:
            raise Unauthenticated("Unauthorized: malformed Basic credentials")
        return key, secret
    if scheme.lower() == "bearer" and rest:
        return rest
    raise Unauthenticated("Unauthorized: use HTTP Basic (KEY:SECRET) or a Bearer token")


def decide(principal: Principal, action: Action, kind: Kind, names: Sequence[str]) -> None:
    """Allow (return) or refuse (`Forbidden`) one operation on these names."""
    if not principal.grants(action):
        raise Forbidden(
            f"Forbidden: '{principal.name}' has role {principal.role.value}, "
            f"which does not allow {action.name.lower()} operations here"
        )
    if kind.names_schema:
        if names and not principal.visible(Kind.SUBJECT, names):
            raise Forbidden(
                f"Forbidden: '{principal.name}' may read none of the subjects of this schema"
            )
        return
    for name in names:
        if not principal.may_name(kind, name):
            raise Forbidden(
                f"Forbidden: '{principal.name}' may not use {kind.value} '{name}' "
                "(outside its prefixes)"
            )


class Guard:
    """What the security middleware needs: settings, keys, tokens, the audit trail."""

    def __init__(
        self,
        settings: SecuritySettings,
        *,
        keys: KeyStore | None = None,
        tokens: TokenVerifier | None = None,
        audit: AuditTrail | None = None,
        subjects_of_id: Callable[[int, str | None], list[str]] = lambda _id, _subject: [],
        subjects_of_guid: Callable[[str], list[str]] = lambda _guid: [],
        registry_body_bytes_max: int = 8 * 1024 * 1024,
        on_close: Sequence[Callable[[], None]] = (),
    ) -> None:
        if settings.auth is AuthMode.REQUIRED and keys is None and tokens is None:
            raise ValueError("auth required needs a key store or a token verifier")
        self.settings = settings
        self.keys = keys
        self.tokens = tokens
        self.audit = audit
        self.subjects_of_id = subjects_of_id
        self.subjects_of_guid = subjects_of_guid
        # A schema body is read whole when its references must be checked: up to the
        # registry's own limit, so the guard refuses nothing the registry would take.
        self.registry_body_bytes_max = registry_body_bytes_max
        self._on_close = on_close

    @property
    def required(self) -> bool:
        return self.settings.auth is AuthMode.REQUIRED

    def challenges(self) -> list[str]:
        found = ['Basic realm="charter"']
        if self.tokens is not None:
            found.append('Bearer realm="charter"')
        return found

    def cached(self, credentials: Credentials) -> Principal | None:
        """The principal when memory knows the credentials (no I/O: safe on the event loop)."""
        if isinstance(credentials, tuple) and self.keys is not None:
            return self.keys.cached(*credentials)
        return None

    def authenticate(self, credentials: Credentials) -> Principal:
        """The principal of these credentials (may hash or read the database: call off-loop)."""
        if isinstance(credentials, tuple):
            if self.keys is None:
                raise Unauthenticated("Unauthorized: API keys are not accepted here")
            return self.keys.verify(*credentials)
        if self.tokens is None:
            raise Unauthenticated("Unauthorized: bearer tokens are not accepted (no OIDC set)")
        return self.tokens.verify(credentials)

    def close(self) -> None:
        for close in self._on_close:
            close()
        if self.audit is not None:
            self.audit.close()
