"""The DEK registry: key encryption keys (KEKs) and data encryption keys (DEKs) for
client-side field-level encryption, served at `/dek-registry/v1` as Confluent's registry does.

    router (HTTP only) → service (Confluent's rules) → repository (SQL in, frozen values out)

The tables live in the registry's database (`models`, migration `0004_dek_registry`); DEKs of
shared KEKs are generated and wrapped on the server (`kms`, local KMS only).
"""

from __future__ import annotations

from registry.dek.router import router
from registry.dek.service import DekService
from registry.dek.values import Algorithm, Dek, Kek

__all__ = ["Algorithm", "Dek", "DekService", "Kek", "router"]
