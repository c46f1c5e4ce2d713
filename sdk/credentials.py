"""Credentials for `charter serve --auth required`: a key and secret, or a bearer token.

`from_env` reads what the `charter` commands use: `CHARTER_AUTH_KEY` and `CHARTER_AUTH_SECRET`
(HTTP Basic, as confluent-kafka's `basic.auth.user.info`) or `CHARTER_AUTH_TOKEN` (an OIDC JWT
sent as `Authorization: Bearer`). Values are never logged or printed.

Over the Kafka listener (`charter://` through Kafka's protocol) the same credentials are SASL:
`sasl_config` turns a key and secret into SASL/PLAIN (the key as user name) and a token into
SASL/OAUTHBEARER, as `charter serve --auth required` checks them.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sdk.errors import ConfigurationError

__all__ = ["Credentials", "credential_headers", "from_env", "sasl_config"]

# a token whose expiry cannot be read is handed to librdkafka for this long (it asks again at
# 80% of it, and gets the same token)
_TOKEN_LIFETIME_S = 300.0


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


def _expiry(token: str) -> float:
    """The `exp` claim of a JWT (read, not verified: the server verifies), or a short lifetime."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return time.time() + _TOKEN_LIFETIME_S
    return exp if exp > time.time() else time.time() + _TOKEN_LIFETIME_S


def _oauth_callback(token: str) -> Callable[[str], tuple[str, float]]:
    def oauth_cb(_config: str) -> tuple[str, float]:
        return token, _expiry(token)

    return oauth_cb


def sasl_config(
    auth: tuple[str, str] | None, token: str | None, offered: Sequence[str]
) -> dict[str, Any]:
    """librdkafka settings that authenticate `auth` or `token` with one of the mechanisms the
    Kafka listener `offered`: `{}` when it offers none (no SASL, `--auth none`).

    `ConfigurationError` when it asks for SASL and the credentials fit none of its mechanisms.
    """
    credential_headers(auth, token)  # the same checks as over HTTP: one or the other, well formed
    if not offered:
        return {}
    if auth is not None and "PLAIN" in offered:
        return {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": auth[0],
            "sasl.password": auth[1],
        }
    if token is not None and "OAUTHBEARER" in offered:
        return {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "OAUTHBEARER",
            "oauth_cb": _oauth_callback(token.strip()),
        }
    given = "a key and secret" if auth else "a token" if token else "no credentials"
    raise ConfigurationError(
        f"the Kafka listener asks for SASL ({', '.join(offered)}) and was given {given}"
    )
