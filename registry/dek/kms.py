"""Server-side key generation for shared KEKs: new DEK material, wrapped by the KEK's KMS.

Only the local KMS (`local-kms`) is built in. It is the one confluent-kafka's clients ship
for development and tests: the KEK is AES-128-GCM under a key derived from a secret with
HKDF-SHA256 (no salt, no info, 16 bytes), the secret taken from the KEK's `kmsProps.secret`
or else from the registry's `LOCAL_SECRET` environment variable, as the clients' driver
reads it. A wrapped key is Tink's raw AES-GCM ciphertext:

    offset  size  meaning
    0       12    random IV
    12      n     the key material, encrypted
    12+n    16    GCM tag (no associated data)

DEK material is what Tink's key managers hold for each algorithm, a serialised key proto,
which is what the clients' encryption executors load:

    AES128_GCM  0x1a 0x10 + 16 random bytes   (AesGcmKey: version 0, key_value = field 3)
    AES256_GCM  0x1a 0x20 + 32 random bytes
    AES256_SIV  0x12 0x40 + 64 random bytes   (AesSivKey: version 0, key_value = field 2)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.dek.values import Algorithm, Kek

__all__ = ["LOCAL_KMS", "KmsError", "LocalKms", "new_key_material"]

LOCAL_KMS = "local-kms"
SECRET_PROP = "secret"
SECRET_ENV = "LOCAL_SECRET"
IV_BYTES = 12
TAG_BYTES = 16

# The key proto's header (field tag, length) and the random bytes after it, per algorithm.
_KEY_FORMATS: dict[Algorithm, tuple[bytes, int]] = {
    Algorithm.AES128_GCM: (b"\x1a\x10", 16),
    Algorithm.AES256_GCM: (b"\x1a\x20", 32),
    Algorithm.AES256_SIV: (b"\x12\x40", 64),
}


class KmsError(Exception):
    """The KMS cannot wrap or unwrap a key (no secret, a wrong secret, a foreign KMS)."""


def new_key_material(algorithm: Algorithm) -> bytes:
    header, size = _KEY_FORMATS[algorithm]
    return header + os.urandom(size)


class LocalKms:
    """Wraps and unwraps DEK material for `local-kms` KEKs."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def secret_of(self, kek: Kek) -> str | None:
        return kek.kms_props.get(SECRET_PROP) or self._environ.get(SECRET_ENV) or None

    def supports(self, kek: Kek) -> bool:
        return kek.kms_type == LOCAL_KMS

    def wrap(self, kek: Kek, material: bytes) -> bytes:
        iv = os.urandom(IV_BYTES)
        return iv + self._aead(kek).encrypt(iv, material, b"")

    def unwrap(self, kek: Kek, wrapped: bytes) -> bytes:
        if len(wrapped) < IV_BYTES + TAG_BYTES:
            raise KmsError(f"the wrapped key of {len(wrapped)} bytes is too short")
        try:
            return self._aead(kek).decrypt(wrapped[:IV_BYTES], wrapped[IV_BYTES:], b"")
        except InvalidTag:
            raise KmsError(
                f"the KEK {kek.name!r} cannot unwrap this key (another secret wrapped it)"
            ) from None

    def _aead(self, kek: Kek) -> AESGCM:
        if not self.supports(kek):
            raise KmsError(f"the registry has no client for KMS type {kek.kms_type!r}")
        secret = self.secret_of(kek)
        if secret is None:
            raise KmsError(
                f"no secret for the local KMS of KEK {kek.name!r}: set kmsProps.secret or "
                f"{SECRET_ENV} in the registry's environment"
            )
        key = HKDF(algorithm=SHA256(), length=16, salt=None, info=None).derive(secret.encode())
        return AESGCM(key)
