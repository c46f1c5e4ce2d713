"""Errors of the security layer, each carrying a Confluent-style `error_code` and a status.

    SecurityError                    (500, 50000 unless a subclass says otherwise)
    ├── Unauthenticated              401, 40101  no, unknown, revoked or wrong credentials
    ├── Forbidden                    403, 40301  outside the principal's role or prefixes
    ├── UnsupportedMediaType         415, 41501  a write without a non-simple content type
    ├── BodyTooLarge                 413, 41301  a body the check must read is over its limit
    ├── BadBody                      400, 40001  a body the check must read is not JSON
    ├── CheckFailed                  500, 50001  the check itself failed (e.g. the database)
    └── SecurityConfigError          a bad key, role, prefix, JWKS or setting (exit 2 in the CLI)
"""

from __future__ import annotations

__all__ = [
    "BadBody",
    "BodyTooLarge",
    "CheckFailed",
    "Forbidden",
    "SecurityConfigError",
    "SecurityError",
    "Unauthenticated",
    "UnsupportedMediaType",
]


class SecurityError(Exception):
    status: int = 500
    error_code: int = 50000

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Unauthenticated(SecurityError):
    status = 401
    error_code = 40101


class Forbidden(SecurityError):
    status = 403
    error_code = 40301


class UnsupportedMediaType(SecurityError):
    status = 415
    error_code = 41501


class BodyTooLarge(SecurityError):
    status = 413
    error_code = 41301


class BadBody(SecurityError):
    status = 400
    error_code = 40001


class CheckFailed(SecurityError):
    status = 500
    error_code = 50001


class SecurityConfigError(SecurityError):
    """Raised while setting up (keys, JWKS, options), never while answering a request."""
