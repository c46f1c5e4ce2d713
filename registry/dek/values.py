"""The DEK registry's frozen values: what its repository returns and its service hands on.

A KEK is named and points at a key in a KMS; a DEK is one version of a key for one subject
and algorithm, stored only wrapped (encrypted) by its KEK. Both are soft-deleted first
(`deleted`), then removed for good. `ts` is the time of the last write, in milliseconds since
the epoch, as Confluent answers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["DEFAULT_ALGORITHM", "NAME_LENGTH_MAX", "Algorithm", "Dek", "Kek"]

NAME_LENGTH_MAX = 64  # Confluent's limit on KEK names


class Algorithm(StrEnum):
    """The DEK algorithms of Confluent's field-level encryption (Tink key types)."""

    AES128_GCM = "AES128_GCM"
    AES256_GCM = "AES256_GCM"
    AES256_SIV = "AES256_SIV"


DEFAULT_ALGORITHM = Algorithm.AES256_GCM


@dataclass(frozen=True, slots=True)
class Kek:
    name: str
    kms_type: str
    kms_key_id: str
    kms_props: dict[str, str] = field(default_factory=dict)
    doc: str | None = None
    shared: bool = False
    deleted: bool = False
    ts: int = 0

    def equivalent(self, other: Kek) -> bool:
        """The same key whatever its deletion state and time (Confluent's `isEquivalent`)."""
        return (self.name, self.kms_type, self.kms_key_id, self.kms_props, self.doc,
                self.shared) == (other.name, other.kms_type, other.kms_key_id,
                                 other.kms_props, other.doc, other.shared)


@dataclass(frozen=True, slots=True)
class Dek:
    kek_name: str
    subject: str
    version: int
    algorithm: Algorithm
    encrypted_key_material: str  # base64, as stored
    deleted: bool = False
    ts: int = 0
    key_material: str | None = None  # base64; never stored, filled in for shared KEKs

    def equivalent(self, other: Dek) -> bool:
        return (self.kek_name, self.subject, self.version, self.algorithm,
                self.encrypted_key_material) == (other.kek_name, other.subject, other.version,
                                                 other.algorithm, other.encrypted_key_material)
