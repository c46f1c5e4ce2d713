"""Confluent's rules for KEKs and DEKs, over the DEK repository.

What it checks, as Confluent's DEK registry does: names (a letter or `_`, then letters,
digits, `_` or `-`, at most 64), subjects (no control characters), a KEK's `kmsType` and
`kmsKeyId`; creating a key that exists answers 40971 unless the existing one is soft-deleted
and the same (then the create undeletes it); a soft delete comes before a permanent one
(40471); a KEK with DEKs cannot be deleted (42272, live DEKs for a soft delete, any for a
permanent one); DEKs of a soft-deleted KEK cannot be undeleted (40472). Without
`encryptedKeyMaterial` a DEK is generated on the server, which needs a shared KEK (42271
otherwise); the answers for DEKs of shared KEKs carry the unwrapped `keyMaterial`.

Beyond Confluent, so that nothing stored fails later: a shared KEK must name a KMS the
registry can use (`local-kms` with a secret, see `registry.dek.kms`), and key material a
client gives for a shared KEK must unwrap with it. KMS secrets in `kmsProps` are stored but
never answered (Confluent's redaction), and an update that leaves one out keeps it.
"""

from __future__ import annotations

import base64
import binascii
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import replace

from registry import errors
from registry.dek.kms import KmsError, LocalKms, new_key_material
from registry.dek.repository import DekReader, DekRepository, DekWriter
from registry.dek.values import DEFAULT_ALGORITHM, NAME_LENGTH_MAX, Algorithm, Dek, Kek
from registry.values import LATEST

__all__ = ["KEYS_MAX", "SENSITIVE_PROPS", "DekService", "parse_algorithm"]

KEYS_MAX = 10_000  # KEKs, and DEKs, the registry keeps (Confluent's default dek.registry.max.keys)
KMS_TYPE_LENGTH_MAX = 64
KMS_KEY_ID_LENGTH_MAX = 2048
DOC_LENGTH_MAX = 4096
KMS_PROPS_MAX = 64
PROP_LENGTH_MAX = 4096
KEY_MATERIAL_LENGTH_MAX = 8192  # base64 characters of a wrapped DEK
VERSION_MAX = 2**31 - 1

# kmsProps that carry a KMS credential: stored, never answered.
SENSITIVE_PROPS = frozenset({
    "token.id", "approle.secret.id", "ssl.keystore.password", "secret.access.key",
    "client.secret", "private.key", "secret",
})
# Confluent stores the common spellings of the cloud KMS types under one name.
_KMS_TYPE_PREFIXES = (("aws", "aws-kms"), ("azure", "azure-kms"), ("gcp", "gcp-kms"))
_ALGORITHMS = ", ".join(a.value for a in Algorithm)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _invalid(field: str, why: str) -> errors.InvalidKey:
    return errors.InvalidKey(f"Invalid or missing key info: {field}: {why}")


def check_name(name: str | None) -> str:
    if not name:
        raise _invalid("name", "a KEK name is required")
    if len(name) > NAME_LENGTH_MAX:
        raise _invalid("name", f"{len(name)} characters; the limit is {NAME_LENGTH_MAX}")
    first, rest = name[0], name[1:]
    if not (first.isalpha() or first == "_") or not all(
        c.isalnum() or c in "_-" for c in rest
    ):
        raise _invalid(
            "name", f"{name!r}: a letter or '_' first, then letters, digits, '_' or '-'"
        )
    return name


def check_subject(subject: str | None, length_max: int) -> str:
    if not subject:
        raise _invalid("subject", "a subject is required")
    if len(subject) > length_max:
        raise _invalid("subject", f"{len(subject)} characters; the limit is {length_max}")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in subject):
        raise _invalid("subject", f"{subject!r}: control characters are not allowed")
    return subject


def parse_algorithm(value: str | None) -> Algorithm:
    if value is None or value == "":
        return DEFAULT_ALGORITHM
    try:
        return Algorithm(value)
    except ValueError:
        raise _invalid("algorithm", f"{value!r}; expected one of {_ALGORITHMS}") from None


def _check_version(version: int) -> int:
    if not 1 <= version <= VERSION_MAX:
        raise _invalid("version", f"{version}; a DEK version is between 1 and 2^31-1")
    return version


def _check_text(field: str, value: str | None, length_max: int) -> str | None:
    if value is not None and len(value) > length_max:
        raise _invalid(field, f"{len(value)} characters; the limit is {length_max}")
    return value


def _check_props(props: Mapping[str, str] | None) -> dict[str, str]:
    if props is None:
        return {}
    if len(props) > KMS_PROPS_MAX:
        raise _invalid("kmsProps", f"{len(props)} properties; the limit is {KMS_PROPS_MAX}")
    for key, value in props.items():
        if not key or len(key) > PROP_LENGTH_MAX or len(value) > PROP_LENGTH_MAX:
            raise _invalid(
                "kmsProps", f"names are 1 to {PROP_LENGTH_MAX} characters, values at most that"
            )
    return dict(sorted(props.items()))


def _normal_kms_type(kms_type: str) -> str:
    lowered = kms_type.lower()
    for prefix, name in _KMS_TYPE_PREFIXES:
        if lowered.startswith(prefix):
            return name
    return kms_type


def _decode_material(value: str) -> bytes:
    if len(value) > KEY_MATERIAL_LENGTH_MAX:
        raise _invalid(
            "encryptedKeyMaterial",
            f"{len(value)} characters; the limit is {KEY_MATERIAL_LENGTH_MAX}",
        )
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("encryptedKeyMaterial", "not valid base64") from None
    if not decoded:
        raise _invalid("encryptedKeyMaterial", "empty")
    return decoded


def redacted(kek: Kek) -> Kek:
    """The KEK as answered: its KMS credentials left out."""
    props = {k: v for k, v in kek.kms_props.items() if k not in SENSITIVE_PROPS}
    return replace(kek, kms_props=props) if props != kek.kms_props else kek


class DekService:
    """The DEK registry's operations, each one transaction of the repository."""

    def __init__(
        self,
        repository: DekRepository,
        *,
        subject_length_max: int = 255,
        kms: LocalKms | None = None,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.repository = repository
        self.subject_length_max = subject_length_max
        self.kms = kms or LocalKms()
        self.clock = clock

    # ---- KEKs -----------------------------------------------------------------------------

    def kek_names(self, *, deleted: bool = False) -> list[str]:
        with self.repository.reading() as reader:
            return [k.name for k in reader.keks() if deleted or not k.deleted]

    def get_kek(self, name: str, *, deleted: bool = False) -> Kek:
        check_name(name)
        with self.repository.reading() as reader:
            return redacted(self._kek(reader, name, deleted=deleted))

    def create_kek(
        self,
        name: str | None,
        kms_type: str | None,
        kms_key_id: str | None,
        *,
        kms_props: Mapping[str, str] | None = None,
        doc: str | None = None,
        shared: bool = False,
        deleted: bool = False,
    ) -> Kek:
        name = check_name(name)
        if not kms_key_id:
            raise _invalid("kmsKeyId", "the key's id in its KMS is required")
        if not kms_type:
            raise _invalid("kmsType", "the KMS type is required (e.g. aws-kms, local-kms)")
        _check_text("kmsType", kms_type, KMS_TYPE_LENGTH_MAX)
        _check_text("kmsKeyId", kms_key_id, KMS_KEY_ID_LENGTH_MAX)
        _check_text("doc", doc, DOC_LENGTH_MAX)
        kek = Kek(name, _normal_kms_type(kms_type), kms_key_id, _check_props(kms_props), doc,
                  shared, deleted)
        self._check_shared(kek)
        with self.repository.writing() as writer:
            old = writer.kek(name)
            if old is None and writer.count_keks() >= KEYS_MAX:
                raise errors.TooManyKeys(KEYS_MAX)
            # A create of the same key acts as an undelete of a soft-deleted one.
            if old is not None and (old.deleted == deleted or not old.equivalent(kek)):
                raise errors.KeyExists(name)
            return redacted(writer.put_kek(replace(kek, ts=self.clock())))

    def update_kek(
        self,
        name: str,
        *,
        kms_props: Mapping[str, str] | None = None,
        doc: str | None = None,
        shared: bool | None = None,
    ) -> Kek:
        check_name(name)
        _check_text("doc", doc, DOC_LENGTH_MAX)
        props = _check_props(kms_props) if kms_props is not None else None
        with self.repository.writing() as writer:
            old = self._kek(writer, name, deleted=False)
            if props is not None:
                # A credential the request leaves out (it was never answered) is kept.
                kept = {k: v for k, v in old.kms_props.items()
                        if k in SENSITIVE_PROPS and k not in props}
                props = dict(sorted({**props, **kept}.items()))
            new = replace(
                old,
                kms_props=old.kms_props if props is None else props,
                doc=old.doc if doc is None else doc,
                shared=old.shared if shared is None else shared,
            )
            if new.equivalent(old):
                return redacted(old)
            self._check_shared(new)
            return redacted(writer.put_kek(replace(new, ts=self.clock())))

    def delete_kek(self, name: str, *, permanent: bool = False) -> None:
        check_name(name)
        with self.repository.writing() as writer:
            old = self._kek(writer, name, deleted=True)
            deks = writer.deks(name)
            if any(permanent or not d.deleted for d in deks):
                raise errors.KeyReferenceExists(name)
            if permanent:
                if not old.deleted:
                    raise errors.KeyNotSoftDeleted(name)
                writer.remove_kek(name)
            elif not old.deleted:
                writer.put_kek(replace(old, deleted=True, ts=self.clock()))

    def undelete_kek(self, name: str) -> None:
        check_name(name)
        with self.repository.writing() as writer:
            old = self._kek(writer, name, deleted=True)
            if old.deleted:
                writer.put_kek(replace(old, deleted=False, ts=self.clock()))

    # ---- DEKs -----------------------------------------------------------------------------

    def dek_subjects(self, kek_name: str, *, deleted: bool = False) -> list[str]:
        check_name(kek_name)
        with self.repository.reading() as reader:
            self._kek(reader, kek_name, deleted=deleted)
            subjects = {d.subject for d in reader.deks(kek_name) if deleted or not d.deleted}
        return sorted(subjects)

    def dek_versions(
        self, kek_name: str, subject: str, algorithm: Algorithm, *, deleted: bool = False
    ) -> list[int]:
        self._check_dek_path(kek_name, subject)
        with self.repository.reading() as reader:
            self._kek(reader, kek_name, deleted=deleted)
            deks = reader.deks(kek_name, subject, algorithm)
        return [d.version for d in deks if deleted or not d.deleted]

    def get_dek(
        self,
        kek_name: str,
        subject: str,
        algorithm: Algorithm,
        version: int = 1,
        *,
        deleted: bool = False,
    ) -> Dek:
        """One version of a DEK (`LATEST`: the newest), unwrapped for a shared KEK."""
        self._check_dek_path(kek_name, subject)
        with self.repository.reading() as reader:
            kek = self._kek(reader, kek_name, deleted=deleted)
            dek = self._dek(reader, kek_name, subject, algorithm, version, deleted=deleted)
        return self._with_material(kek, dek)

    def create_dek(
        self,
        kek_name: str,
        subject: str | None,
        *,
        algorithm: Algorithm = DEFAULT_ALGORITHM,
        version: int | None = None,
        encrypted_key_material: str | None = None,
        deleted: bool = False,
    ) -> Dek:
        subject = self._check_dek_path(kek_name, subject)
        version = _check_version(1 if version is None else version)
        wrapped = (
            _decode_material(encrypted_key_material)
            if encrypted_key_material is not None else None
        )
        with self.repository.writing() as writer:
            kek = self._kek(writer, kek_name, deleted=deleted)
            material: bytes | None = None
            if wrapped is None:
                if not kek.shared:
                    raise _invalid(
                        "encryptedKeyMaterial",
                        f"required: the KEK {kek_name!r} is not shared, so the client "
                        "generates and wraps the DEK",
                    )
                material = new_key_material(algorithm)
                wrapped = self._wrap(kek, material)
            elif kek.shared:
                material = self._unwrap(kek, wrapped, invalid_input=True)
            dek = Dek(kek_name, subject, version, algorithm,
                      base64.b64encode(wrapped).decode("ascii"), deleted)
            old = writer.dek(kek_name, subject, algorithm, version)
            if old is None and writer.count_deks() >= KEYS_MAX:
                raise errors.TooManyKeys(KEYS_MAX)
            if old is not None and (old.deleted == deleted or not old.equivalent(dek)):
                raise errors.KeyExists(subject)
            stored = writer.put_dek(replace(dek, ts=self.clock()))
        if material is None:
            return stored
        return replace(stored, key_material=base64.b64encode(material).decode("ascii"))

    def delete_dek(
        self, kek_name: str, subject: str, algorithm: Algorithm, *, permanent: bool = False
    ) -> None:
        """Every version of a subject's DEK for this algorithm."""
        self._check_dek_path(kek_name, subject)
        with self.repository.writing() as writer:
            self._kek(writer, kek_name, deleted=True)
            deks = writer.deks(kek_name, subject, algorithm)
            if not deks:
                raise errors.KeyNotFound(subject)
            if permanent:
                if any(not d.deleted for d in deks):
                    raise errors.KeyNotSoftDeleted(subject)
                for dek in deks:
                    writer.remove_dek(dek)
                return
            now = self.clock()
            for dek in deks:
                if not dek.deleted:
                    writer.put_dek(replace(dek, deleted=True, ts=now))

    def delete_dek_version(
        self,
        kek_name: str,
        subject: str,
        algorithm: Algorithm,
        version: int,
        *,
        permanent: bool = False,
    ) -> None:
        self._check_dek_path(kek_name, subject)
        with self.repository.writing() as writer:
            self._kek(writer, kek_name, deleted=True)
            dek = self._dek(writer, kek_name, subject, algorithm, version, deleted=True)
            if permanent:
                if not dek.deleted:
                    raise errors.KeyNotSoftDeleted(subject)
                writer.remove_dek(dek)
            elif not dek.deleted:
                writer.put_dek(replace(dek, deleted=True, ts=self.clock()))

    def undelete_dek(self, kek_name: str, subject: str, algorithm: Algorithm) -> None:
        self._check_dek_path(kek_name, subject)
        with self.repository.writing() as writer:
            kek = self._kek(writer, kek_name, deleted=True)
            deks = writer.deks(kek_name, subject, algorithm)
            if not deks:
                raise errors.KeyNotFound(subject)
            if kek.deleted:
                raise errors.KeySoftDeleted(kek_name)
            now = self.clock()
            for dek in deks:
                if dek.deleted:
                    writer.put_dek(replace(dek, deleted=False, ts=now))

    def undelete_dek_version(
        self, kek_name: str, subject: str, algorithm: Algorithm, version: int
    ) -> None:
        self._check_dek_path(kek_name, subject)
        with self.repository.writing() as writer:
            kek = self._kek(writer, kek_name, deleted=True)
            dek = self._dek(writer, kek_name, subject, algorithm, version, deleted=True)
            if kek.deleted:
                raise errors.KeySoftDeleted(kek_name)
            if dek.deleted:
                writer.put_dek(replace(dek, deleted=False, ts=self.clock()))

    # ---- helpers --------------------------------------------------------------------------

    def _check_dek_path(self, kek_name: str, subject: str | None) -> str:
        check_name(kek_name)
        return check_subject(subject, self.subject_length_max)

    @staticmethod
    def _kek(reader: DekReader | DekWriter, name: str, *, deleted: bool) -> Kek:
        kek = reader.kek(name)
        if kek is None or (kek.deleted and not deleted):
            raise errors.KeyNotFound(name)
        return kek

    @staticmethod
    def _dek(
        reader: DekReader | DekWriter,
        kek_name: str,
        subject: str,
        algorithm: Algorithm,
        version: int,
        *,
        deleted: bool,
    ) -> Dek:
        if version == LATEST:
            found = [d for d in reader.deks(kek_name, subject, algorithm)
                     if deleted or not d.deleted]
            dek = found[-1] if found else None
        else:
            dek = reader.dek(kek_name, subject, algorithm, version)
        if dek is None or (dek.deleted and not deleted):
            raise errors.KeyNotFound(subject)
        return dek

    def _check_shared(self, kek: Kek) -> None:
        """A shared KEK must be one the registry can wrap DEKs with, now."""
        if not kek.shared:
            return
        if not self.kms.supports(kek):
            raise _invalid(
                "kmsType",
                f"{kek.kms_type!r}: Charter generates DEKs for shared KEKs with the local KMS "
                "(local-kms) only; use shared=false and let the client wrap its DEKs",
            )
        if self.kms.secret_of(kek) is None:
            raise _invalid(
                "kmsProps",
                "a shared local-kms KEK needs its secret: kmsProps.secret, or LOCAL_SECRET "
                "in the registry's environment",
            )

    def _wrap(self, kek: Kek, material: bytes) -> bytes:
        try:
            return self.kms.wrap(kek, material)
        except KmsError as exc:
            raise errors.DekGenerationFailed(
                f"Could not generate encrypted dek for KEK {kek.name!r}: {exc}"
            ) from None

    def _unwrap(self, kek: Kek, wrapped: bytes, *, invalid_input: bool = False) -> bytes:
        try:
            return self.kms.unwrap(kek, wrapped)
        except KmsError as exc:
            if invalid_input:
                raise _invalid("encryptedKeyMaterial", str(exc)) from None
            raise errors.DekGenerationFailed(
                f"Could not generate raw dek for KEK {kek.name!r}: {exc}"
            ) from None

    def _with_material(self, kek: Kek, dek: Dek) -> Dek:
        if not kek.shared:
            return dek
        material = self._unwrap(kek, base64.b64decode(dek.encrypted_key_material))
        return replace(dek, key_material=base64.b64encode(material).decode("ascii"))
