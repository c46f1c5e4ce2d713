"""The registry as the broker's contract source: `broker.Contracts` on top of the service.

Both answers come from the service's memory when it has them (a subject's history, a payload
check per id), kept exact by the service's invalidation; this class holds no cache of its own.
"""

from __future__ import annotations

from registry.service import RegistryService

__all__ = ["RegistryContracts"]


class RegistryContracts:
    """Answers the broker's `is_registered` and `validate` from the registry's service."""

    def __init__(self, service: RegistryService) -> None:
        self._service = service

    def is_registered(self, subject: str, schema_id: int) -> bool:
        return self._service.is_live_in(subject, schema_id)

    def validate(self, subject: str, schema_id: int, payload: bytes) -> str | None:
        check = self._service.payload_check(schema_id)
        if check is None:
            return f"schema id {schema_id} does not exist"
        return check(payload)
