"""The Kafka listener's SASL checks, made of the HTTP routes' own: one decision for both.

`GuardAuthenticator` is the `broker.kafka.auth.Authenticator` that `charter serve --auth
required` gives the listener: SASL/PLAIN carries an API key (`KEY` as user name, `SECRET` as
password) checked by the registry's key store, SASL/OAUTHBEARER a JWT checked by its token
verifier; access is `registry.security.decide`, and writes go to the same audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from broker.kafka.auth import (
    Access,
    AuthenticationFailed,
    Resource,
    parse_oauthbearer,
    parse_plain,
)
from registry.security import Action, Guard, Kind, Principal, SecurityError, decide
from registry.security.audit import AuditEntry

__all__ = ["GuardAuthenticator"]

_ACTIONS = {Access.READ: Action.READ, Access.WRITE: Action.WRITE, Access.ADMIN: Action.ADMIN}
_KINDS = {Resource.TOPIC: Kind.TOPIC, Resource.GROUP: Kind.GROUP, Resource.CLUSTER: Kind.NONE}


class GuardAuthenticator:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        found = []
        if guard.keys is not None:
            found.append("PLAIN")
        if guard.tokens is not None:
            found.append("OAUTHBEARER")
        self._mechanisms = tuple(found)

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return self._mechanisms

    def authenticate(self, mechanism: str, auth_bytes: bytes) -> object:
        credentials: tuple[str, str] | str
        if mechanism == "PLAIN":
            credentials = parse_plain(auth_bytes)
        elif mechanism == "OAUTHBEARER":
            credentials = parse_oauthbearer(auth_bytes)
        else:
            raise AuthenticationFailed(f"mechanism {mechanism} is not offered")
        try:
            return self.guard.authenticate(credentials)
        except SecurityError as exc:
            raise AuthenticationFailed(exc.message) from None

    def authorize(
        self, principal: object, access: Access, resource: Resource, names: Sequence[str]
    ) -> bool:
        assert isinstance(principal, Principal)
        try:
            decide(principal, _ACTIONS[access], _KINDS[resource], names)
        except SecurityError:
            return False
        return True

    def audit(
        self,
        principal: object,
        operation: str,
        resource: Resource,
        names: Sequence[str],
        outcome: str,
    ) -> None:
        trail = self.guard.audit
        if trail is None or not isinstance(principal, Principal):
            return
        status = {"ok": 200, "denied": 403}.get(outcome, 400)
        trail.record(
            AuditEntry(
                at=datetime.now(UTC),
                who=principal.name,
                via=principal.via,
                method="KAFKA",
                path=f"kafka:{operation}",
                kind=_KINDS[resource].value,
                names=tuple(n[:512] for n in names[:64]),
                status=status,
                outcome=outcome,
            )
        )
