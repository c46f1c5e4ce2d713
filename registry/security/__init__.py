"""Authentication, authorisation, browser safety and the audit trail of `charter serve`.

    settings    SecuritySettings: --auth, OIDC, CORS origins (one frozen value)
    roles       Role, Action, Kind, Principal: who may do what to which names
    keys        KeyStore: API keys hashed with argon2id, verified through a digest cache
    oidc        TokenVerifier: bearer JWTs checked against a JWKS (joserfc)
    routes      every route → (action, kind, where its names are)
    guard       Guard.authenticate and `decide`, the one decision function
    middleware  SecurityMiddleware: the ASGI layer applying both to every route
    audit       AuditTrail: every write, logged and stored
    errors      SecurityError (a RegistryError) and its 401/403/415/400 subclasses

`build_guard` makes the guard for a built registry; `protect` wraps an ASGI app with it (and
with CORS when origins are allowed). `cli/serve.py` applies both to the whole app, so the
registry's routes and the broker's share one check.
"""

from __future__ import annotations

import uuid

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from registry.coherence import ChangeListener
from registry.errors import RegistryError
from registry.http import Registry
from registry.security.audit import AuditTrail
from registry.security.errors import SecurityConfigError, SecurityError
from registry.security.guard import Guard, decide
from registry.security.keys import KEYS_CHANNEL, KeyStore
from registry.security.middleware import SecurityMiddleware
from registry.security.oidc import TokenVerifier
from registry.security.roles import Action, Kind, Principal, Role
from registry.security.settings import AuthMode, OidcSettings, SecuritySettings

__all__ = [
    "Action",
    "AuthMode",
    "Guard",
    "KeyStore",
    "Kind",
    "OidcSettings",
    "Principal",
    "Role",
    "SecurityConfigError",
    "SecurityError",
    "SecuritySettings",
    "build_guard",
    "decide",
    "protect",
]

LISTEN_WAIT_S = 5.0


def build_guard(registry: Registry, settings: SecuritySettings) -> Guard:
    """Keys, tokens and the audit trail on the registry's database. Raises
    `SecurityConfigError` for an unreadable JWKS."""
    database = registry.database
    keys = KeyStore(database, recheck_s=settings.key_recheck_s)
    tokens = TokenVerifier(settings.oidc) if settings.oidc is not None else None
    closers = []
    if not database.is_sqlite:
        listener = ChangeListener(
            database.url,
            keys.apply_notice,
            keys.set_listening,
            name=f"charter-keys-{registry.service.caches.origin}",
            channel=KEYS_CHANNEL,
        )
        listener.start()
        listener.wait_listening(LISTEN_WAIT_S)  # until then keys are checked in the database
        closers.append(listener.stop)
    service = registry.service

    def subjects_of_id(schema_id: int, subject: str | None) -> list[str]:
        """The subjects holding an id in the context `subject` names (`?subject=`)."""
        try:
            pairs = service.versions_of_id(schema_id, deleted=True, subject=subject)
        except RegistryError:  # not found, or a malformed subject: nothing to allow
            return []
        return sorted({s for s, _ in pairs})

    def subjects_of_guid(guid: str) -> list[str]:
        """The subjects holding a GUID's schema, in every context that holds it."""
        try:  # spelled as the registry's route reads it, so both find the same schemas
            held = service.schemas_by_guid(str(uuid.UUID(guid)))
        except (ValueError, RegistryError):
            return []
        names: set[str] = set()
        for stored in held:
            names.update(subjects_of_id(stored.id, None if stored.context == "." else
                                        f":{stored.context}:"))
        return sorted(names)

    return Guard(
        settings,
        keys=keys,
        tokens=tokens,
        audit=AuditTrail(database),
        subjects_of_id=subjects_of_id,
        subjects_of_guid=subjects_of_guid,
        registry_body_bytes_max=registry.settings.request_bytes_max,
        on_close=closers,
    )


def protect(app: ASGIApp, guard: Guard) -> ASGIApp:
    """`app` behind the guard; CORS answered first, and only for the allowed origins."""
    guarded: ASGIApp = SecurityMiddleware(app, guard)
    origins = list(guard.settings.cors_origins)
    if not origins:
        return guarded
    return CORSMiddleware(
        guarded,
        allow_origins=origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        allow_credentials=True,
        max_age=600,
    )
