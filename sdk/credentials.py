"""Credentials for `charter serve --auth required`: a key and secret, or a bearer token.

`from_env` reads what the `charter` commands use: `CHARTER_AUTH_KEY` and `CHARTER_AUTH_SECRET`
(HTTP Basic, as confluent-kafka's `basic.auth.user.info`) or `CHARTER_AUTH_TOKEN` (an OIDC JWT
sent as `Authorization: Bearer`). Values are never logged or printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sdk.errors import ConfigurationError

__all__ = ["Credentials", "credential_headers", "from_env"]


@dataclass(frozen=True, slots=True)
class Credentials:
    auth: tuple[str, str] | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for `sdk.Registry` and the `charter://` transports."""
        found: dict[str, Any] = {}
        if self.auth is not None:
            found["auth"] = self.auth
        if self.token is not None:
            found["token"] = self.token
        return found


def credential_headers(auth: object, token: str | None) -> dict[str, str]:
    """The header a bearer token adds (Basic is httpx's `auth`); both at once is an error."""
    if token is None:
        return {}
    if auth is not None:
        raise ConfigurationError("give either auth=(key, secret) or token=..., not both")
    if not token.strip() or any(c in token for c in "\r\n"):
        raise ConfigurationError("the bearer token is empty or spans lines")
    return {"Authorization": f"Bearer {token.strip()}"}


def from_env(environ: Mapping[str, str] | None = None) -> Credentials:
    env = os.environ if environ is None else environ
    key, secret = env.get("CHARTER_AUTH_KEY"), env.get("CHARTER_AUTH_SECRET")
    token = env.get("CHARTER_AUTH_TOKEN") or None
    if bool(key) != bool(secret):
        raise ConfigurationError("set both CHARTER_AUTH_KEY and CHARTER_AUTH_SECRET, or neither")
    if key and secret and token:
        raise ConfigurationError(
            "set CHARTER_AUTH_KEY/CHARTER_AUTH_SECRET or CHARTER_AUTH_TOKEN, not both"
        )
    return Credentials(auth=(key, secret) if key and secret else None, token=token)
