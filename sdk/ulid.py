"""ULIDs: 128-bit ids that sort by creation time (48-bit milliseconds, 80 random bits).

Written out as 26 characters of Crockford's base32. Ids made in the same millisecond by one
process increase monotonically, so sorting by id keeps the order they were made in.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["is_ulid", "new_ulid", "ulid_time_ms"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)}
_RANDOM_MAX = 2**80 - 1
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_ulid(now_ms: int | None = None) -> str:
    """A new ULID for now (or for `now_ms`, milliseconds since the Unix epoch)."""
    global _last_ms, _last_random
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    with _lock:
        if ms == _last_ms and _last_random < _RANDOM_MAX:
            rand = _last_random + 1
        else:
            rand = int.from_bytes(os.urandom(10), "big")
        _last_ms, _last_random = ms, rand
    return _encode((ms << 80) | rand)


def is_ulid(text: str) -> bool:
    """Whether `text` is a well-formed ULID (26 base32 characters, within 128 bits)."""
    return len(text) == 26 and text[0] in "01234567" and all(c in _DECODE for c in text)


def ulid_time_ms(text: str) -> int:
    """The creation time of a ULID in milliseconds since the Unix epoch."""
    if not is_ulid(text):
        raise ValueError(f"not a ULID: {text!r}")
    value = 0
    for c in text:
        value = (value << 5) | _DECODE[c]
    return value >> 80
