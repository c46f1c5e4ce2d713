"""Charter's local KMS is confluent-kafka's: each unwraps what the other wrapped, and the DEK
material Charter generates loads as the Tink keys the clients' executors use."""

from __future__ import annotations

import pytest
from confluent_kafka.schema_registry.rules.encryption.localkms.local_client import (
    LocalKmsClient,
)
from tink import aead
from tink.proto import aes_gcm_pb2, aes_siv_pb2

from registry.dek.kms import KmsError, LocalKms, new_key_material
from registry.dek.values import Algorithm, Kek

aead.register()  # what the clients' encryption executor does on import

SECRET = "kms-test-secret"
KEK = Kek("k", "local-kms", "key", {"secret": SECRET})


def _theirs() -> object:
    return LocalKmsClient(SECRET).get_aead("local-kms://key")


def test_the_clients_kms_unwraps_what_charter_wrapped() -> None:
    material = new_key_material(Algorithm.AES256_GCM)
    wrapped = LocalKms(environ={}).wrap(KEK, material)
    assert _theirs().decrypt(wrapped, b"") == material  # type: ignore[attr-defined]


def test_charter_unwraps_what_the_clients_kms_wrapped() -> None:
    wrapped = _theirs().encrypt(b"dek material", b"")  # type: ignore[attr-defined]
    assert LocalKms(environ={}).unwrap(KEK, wrapped) == b"dek material"


def test_the_secret_may_come_from_the_environment() -> None:
    kek = Kek("k", "local-kms", "key")
    kms = LocalKms(environ={"LOCAL_SECRET": SECRET})
    assert _theirs().decrypt(kms.wrap(kek, b"m"), b"") == b"m"  # type: ignore[attr-defined]
    with pytest.raises(KmsError, match="LOCAL_SECRET"):
        LocalKms(environ={}).wrap(kek, b"m")


def test_a_wrong_secret_or_a_foreign_kms_is_a_kms_error() -> None:
    wrapped = LocalKms(environ={}).wrap(KEK, b"m")
    other = Kek("k", "local-kms", "key", {"secret": "another"})
    with pytest.raises(KmsError, match="cannot unwrap"):
        LocalKms(environ={}).unwrap(other, wrapped)
    with pytest.raises(KmsError, match="too short"):
        LocalKms(environ={}).unwrap(KEK, b"short")
    with pytest.raises(KmsError, match="no client"):
        LocalKms(environ={}).wrap(Kek("k", "aws-kms", "arn"), b"m")


@pytest.mark.parametrize(("algorithm", "size"), [
    (Algorithm.AES128_GCM, 16), (Algorithm.AES256_GCM, 32), (Algorithm.AES256_SIV, 64)])
def test_generated_material_is_a_tink_key(algorithm: Algorithm, size: int) -> None:
    material = new_key_material(algorithm)
    proto = aes_siv_pb2.AesSivKey if algorithm is Algorithm.AES256_SIV else aes_gcm_pb2.AesGcmKey
    key = proto.FromString(material)
    assert (key.version, len(key.key_value)) == (0, size)
    assert new_key_material(algorithm) != material
