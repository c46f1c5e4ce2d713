"""API keys in the registry's database: created, listed, revoked and verified.

A credential is `KEY:SECRET`: the key id is public (it names the key in HTTP Basic's user
field), the secret is shown once and stored only as an argon2id hash. Verifying argon2 on
every request would cap throughput, so a verified (key, secret) pair is remembered under a
SHA-256 digest of the pair (never the secret itself) together with the stored hash it matched:
for `recheck_s` the pair is trusted from memory, after that one cheap read confirms the key is
still there, unrevoked, with the same hash. On PostgreSQL a revocation also sends a notice on
`KEYS_CHANNEL` that every serving process hears (`registry.coherence.ChangeListener`) and
forgets the key at once; while a process cannot hear notices it keeps nothing in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry.db import Database
from registry.security.errors import SecurityConfigError, Unauthenticated
from registry.security.models import ApiKeyRow
from registry.security.roles import Principal, Role

__all__ = ["KEYS_CHANNEL", "Created", "KeyInfo", "KeyStore"]

KEYS_CHANNEL = "charter_keys"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
PREFIX_LENGTH_MAX = 255
PREFIXES_MAX = 64
SECRET_LENGTH_MAX = 256  # longer "secrets" are refused before any hashing
KEY_ID_LENGTH_MAX = 32


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as `charter keys list` shows it: everything but the secret."""

    key_id: str
    name: str
    role: Role
    subject_prefixes: tuple[str, ...]
    topic_prefixes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    group_prefixes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key_id,
            "name": self.name,
            "role": self.role.value,
            "subject_prefixes": list(self.subject_prefixes),
            "topic_prefixes": list(self.topic_prefixes),
            "group_prefixes": list(self.group_prefixes),
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True, slots=True)
class Created:
    info: KeyInfo
    secret: str

    @property
    def credential(self) -> str:
        return f"{self.info.key_id}:{self.secret}"


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    key_id: str
    secret_hash: str
    checked_at: float


def _digest(key_id: str, secret: str) -> bytes:
    return hashlib.sha256(f"{key_id}\x00{secret}".encode()).digest()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(
        key_id=row.key_id,
        name=row.name,
        role=Role(row.role),
        subject_prefixes=tuple(json.loads(row.subject_prefixes)),
        topic_prefixes=tuple(json.loads(row.topic_prefixes)),
        group_prefixes=tuple(json.loads(row.group_prefixes or "[]")),
        created_at=_utc(row.created_at),
        revoked_at=_utc(row.revoked_at) if row.revoked_at else None,
    )


def _principal(info: KeyInfo) -> Principal:
    return Principal(info.name, info.role, info.subject_prefixes, info.topic_prefixes,
                     via="key", group_prefixes=info.group_prefixes)


def _check_prefixes(prefixes: Sequence[str], what: str) -> tuple[str, ...]:
    if len(prefixes) > PREFIXES_MAX:
        raise SecurityConfigError(f"at most {PREFIXES_MAX} {what} prefixes")
    for prefix in prefixes:
        if not prefix or len(prefix) > PREFIX_LENGTH_MAX or not prefix.isprintable():
            raise SecurityConfigError(
                f"invalid {what} prefix {prefix!r}: 1 to {PREFIX_LENGTH_MAX} printable characters"
            )
    return tuple(dict.fromkeys(prefixes))


class KeyStore:
    """Keys of one database. Thread-safe; one per serving process (and one per CLI call)."""

    def __init__(
        self,
        database: Database,
        *,
        hasher: PasswordHasher | None = None,
        recheck_s: float = 5.0,
        entries_max: int = 10_000,
        verifying_max: int = 2,
    ) -> None:
        self.database = database
        self.hasher = hasher or PasswordHasher()
        self.recheck_s = recheck_s
        self.entries_max = entries_max
        # A flood of wrong secrets must not occupy every core with argon2.
        self._verifying = threading.BoundedSemaphore(verifying_max)
        self._lock = threading.Lock()
        self._verified: OrderedDict[bytes, _Verified] = OrderedDict()
        self.trusted = database.is_sqlite  # PostgreSQL: only once the listener hears notices

    # ---- management (the `charter keys` commands) --------------------------------------------

    def create(
        self,
        name: str,
        role: Role,
        *,
        subject_prefixes: Sequence[str] = (),
        topic_prefixes: Sequence[str] = (),
        group_prefixes: Sequence[str] = (),
    ) -> Created:
        if not NAME_PATTERN.fullmatch(name):
            raise SecurityConfigError(
                f"invalid key name {name!r}: 1 to 128 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        subjects = _check_prefixes(subject_prefixes, "subject")
        topics = _check_prefixes(topic_prefixes, "topic")
        groups = _check_prefixes(group_prefixes, "group")
        key_id = "CK" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(32)
        row = ApiKeyRow(
            key_id=key_id,
            name=name,
            role=role.value,
            subject_prefixes=json.dumps(list(subjects)),
            topic_prefixes=json.dumps(list(topics)),
            group_prefixes=json.dumps(list(groups)),
            secret_hash=self.hasher.hash(secret),
            created_at=datetime.now(UTC),
        )
        try:
            with self.database.writing() as session:
                if session.exec(select(ApiKeyRow).where(ApiKeyRow.name == name)).first():
                    raise SecurityConfigError(f"a key named {name!r} exists (names are not reused)")
                session.add(row)
        except IntegrityError:
            raise SecurityConfigError(f"a key named {name!r} exists") from None
        return Created(_info(row), secret)

    def list_keys(self, *, revoked: bool = True) -> list[KeyInfo]:
        with self.database.reading() as session:
            rows = session.exec(select(ApiKeyRow).order_by(col(ApiKeyRow.name))).all()
        infos = [_info(r) for r in rows]
        return infos if revoked else [i for i in infos if i.revoked_at is None]

    def revoke(self, name: str) -> KeyInfo:
        with self.database.writing() as session:
            row = session.exec(select(ApiKeyRow).where(ApiKeyRow.name == name)).first()
            if row is None:
                raise SecurityConfigError(f"no key named {name!r}")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
                session.add(row)
            if not self.database.is_sqlite:
                session.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": KEYS_CHANNEL, "payload": row.key_id},
                )
            info = _info(row)
        self.forget(info.key_id)
        return info

    # ---- verification (every request) --------------------------------------------------------

    def cached(self, key_id: str, secret: str) -> Principal | None:
        """The principal when memory vouches for the pair now (no I/O, no hashing)."""
        if not self.trusted:
            return None
        with self._lock:
            found = self._verified.get(_digest(key_id, secret))
        if found is not None and time.monotonic() - found.checked_at < self.recheck_s:
            return found.principal
        return None

    def verify(self, key_id: str, secret: str) -> Principal:
        """The key's principal, or `Unauthenticated`. May block on argon2: call off the loop."""
        if not key_id or len(key_id) > KEY_ID_LENGTH_MAX or len(secret) > SECRET_LENGTH_MAX:
            raise Unauthenticated("Unauthorized: unknown key or wrong secret")
        digest = _digest(key_id, secret)
        now = time.monotonic()
        with self._lock:
            found = self._verified.get(digest) if self.trusted else None
        if found is not None and now - found.checked_at < self.recheck_s:
            return found.principal
        row = self._row(key_id)
        if row is None or row.revoked_at is not None:
            self.forget(key_id)
            raise Unauthenticated("Unauthorized: unknown key or wrong secret")
        if found is None or not hmac.compare_digest(found.secret_hash, row.secret_hash):
            with self._verifying:
                try:
                    self.hasher.verify(row.secret_hash, secret)
                except (VerifyMismatchError, VerificationError, InvalidHashError):
                    raise Unauthenticated("Unauthorized: unknown key or wrong secret") from None
        principal = _principal(_info(row))
        if self.trusted:
            with self._lock:
                self._verified[digest] = _Verified(principal, key_id, row.secret_hash, now)
                self._verified.move_to_end(digest)
                while len(self._verified) > self.entries_max:
                    self._verified.popitem(last=False)
        return principal

    def _row(self, key_id: str) -> ApiKeyRow | None:
        with Session(self.database.engine, expire_on_commit=False) as session:
            return session.get(ApiKeyRow, key_id)

    # ---- coherence ---------------------------------------------------------------------------

    def forget(self, key_id: str | None = None) -> None:
        """Drop what memory holds for one key (None: every key)."""
        with self._lock:
            if key_id is None:
                self._verified.clear()
                return
            for digest in [d for d, v in self._verified.items() if v.key_id == key_id]:
                del self._verified[digest]

    def apply_notice(self, payload: str) -> None:
        self.forget(payload or None)

    def set_listening(self, listening: bool) -> None:
        with self._lock:
            self.trusted = False
            self._verified.clear()
            self.trusted = listening
