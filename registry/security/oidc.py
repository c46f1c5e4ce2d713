"""OIDC bearer tokens: a JWT signed by a key of the issuer's JWKS, for this audience.

joserfc does the cryptography and the claim checks. The JWKS comes from a file or an
https URL (fetched with a timeout and a size limit, refreshed every `jwks_refresh_s`, and
refetched when a token names an unknown key, at most every `jwks_refetch_min_s`). Only
asymmetric algorithms are accepted, so a public JWKS can never be used as an HMAC secret.
The role and the prefixes come from claims whose names are configurable.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from registry.security.errors import SecurityConfigError, Unauthenticated
from registry.security.roles import Principal, Role
from registry.security.settings import OidcSettings

__all__ = ["ALGORITHMS", "TokenVerifier"]

ALGORITHMS = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
]


def _read_jwks(settings: OidcSettings) -> KeySet:
    source = settings.jwks
    try:
        if source.startswith(("https://", "http://")):
            data = _fetch(source, settings)
        else:
            path = Path(source)
            if path.stat().st_size > settings.jwks_bytes_max:
                raise SecurityConfigError(f"JWKS file {source} is over {settings.jwks_bytes_max} B")
            data = path.read_bytes()
        return KeySet.import_key_set(json.loads(data))
    except SecurityConfigError:
        raise
    except (OSError, ValueError, KeyError, TypeError, JoseError, httpx.HTTPError) as exc:
        raise SecurityConfigError(f"cannot load the JWKS from {source}: {exc}") from None


def _fetch(url: str, settings: OidcSettings) -> bytes:
    body = bytearray()
    with httpx.stream("GET", url, timeout=settings.jwks_timeout_s) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > settings.jwks_bytes_max:
                raise SecurityConfigError(f"JWKS at {url} is over {settings.jwks_bytes_max} B")
    return bytes(body)


def _strings(value: Any, claim: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise Unauthenticated(f"Unauthorized: claim {claim!r} must be a string or a list of them")


def _role(value: Any, claim: str) -> Role:
    """The highest role named by the claim (a string or a list of strings)."""
    found = []
    for name in _strings(value, claim):
        try:
            found.append(Role.parse(name))
        except ValueError:
            continue
    if not found:
        raise Unauthenticated(f"Unauthorized: the token names no Charter role in {claim!r}")
    return max(found, key=lambda r: r.rank)


class TokenVerifier:
    """Checks bearer tokens against the issuer's JWKS. Thread-safe."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._keys = _read_jwks(settings)
        self._loaded_at = time.monotonic()
        self._claims = jwt.JWTClaimsRegistry(
            leeway=settings.leeway_s,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.audience},
            exp={"essential": True},
        )

    def verify(self, token: str) -> Principal:
        if len(token) > self.settings.token_bytes_max:
            raise Unauthenticated("Unauthorized: the bearer token is too long")
        try:
            decoded = jwt.decode(token, self._key_set(token), algorithms=ALGORITHMS)
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthenticated(f"Unauthorized: invalid bearer token ({_reason(exc)})") from None
        claims = decoded.claims
        s = self.settings
        name = claims.get(s.name_claim)
        if not isinstance(name, str) or not name:
            raise Unauthenticated(f"Unauthorized: the token has no {s.name_claim!r} claim")
        return Principal(
            name=name[:256],
            role=_role(claims.get(s.role_claim), s.role_claim),
            subject_prefixes=_strings(claims.get(s.subject_prefixes_claim),
                                      s.subject_prefixes_claim),
            topic_prefixes=_strings(claims.get(s.topic_prefixes_claim), s.topic_prefixes_claim),
            via="token",
            group_prefixes=_strings(claims.get(s.group_prefixes_claim), s.group_prefixes_claim),
        )

    def _key_set(self, token: str) -> KeySet:
        now = time.monotonic()
        with self._lock:
            age = now - self._loaded_at
            stale = age > self.settings.jwks_refresh_s
            unknown = age > self.settings.jwks_refetch_min_s and not self._knows(token)
            if stale or unknown:
                # On failure keep the keys we have; the next window tries again.
                with contextlib.suppress(SecurityConfigError):
                    self._keys = _read_jwks(self.settings)
                self._loaded_at = now
            return self._keys

    def _knows(self, token: str) -> bool:
        try:
            header = extract_compact(token.encode()).protected
        except (JoseError, ValueError, TypeError):
            return True  # unreadable: decode will say so, no point refetching
        kid = header.get("kid")
        return kid is None or any(k.kid == kid for k in self._keys.keys)


def _reason(exc: Exception) -> str:
    text = getattr(exc, "description", None) or getattr(exc, "error", None) or type(exc).__name__
    return str(text)[:200]
