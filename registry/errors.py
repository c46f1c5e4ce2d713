"""Errors the registry answers with, each carrying Confluent's `error_code` and an HTTP status.

    RegistryError                         (500, 50001 unless a subclass says otherwise)
    ├── NotFoundError                     404
    │   ├── SubjectNotFound               40401
    │   ├── VersionNotFound               40402
    │   ├── SchemaNotFound                40403
    │   ├── SubjectSoftDeleted            40404
    │   ├── SubjectNotSoftDeleted         40405
    │   ├── VersionSoftDeleted            40406
    │   ├── VersionNotSoftDeleted         40407
    │   ├── SubjectConfigNotFound         40408
    │   ├── SubjectModeNotFound           40409
    │   ├── ContextNotFound               40401 (as Redpanda answers; Confluent names none)
    │   ├── KeyNotFound                   40470 (DEK registry: a KEK or DEK)
    │   ├── KeyNotSoftDeleted             40471
    │   └── KeySoftDeleted                40472
    ├── IncompatibleSchema                409 (error_code 409)
    ├── KeyConflict                       409
    │   ├── KeyExists                     40971
    │   └── TooManyKeys                   40972
    ├── BadRequest                        400 (malformed body)
    ├── RequestTooLarge                   413, 41301 (a body over its route's limit, anywhere)
    ├── UnprocessableError                422
    │   ├── InvalidSchema                 42201
    │   ├── InvalidVersion                42202
    │   ├── InvalidCompatibilityLevel     42203
    │   ├── InvalidMode                   42204
    │   ├── OperationNotPermitted         42205
    │   ├── ReferenceExists               42206
    │   ├── IdMismatch                    42207
    │   ├── InvalidSubject                42208
    │   ├── SchemaTooLarge                42209
    │   ├── ContextNotEmpty               42211
    │   ├── InvalidKey                    42271
    │   └── KeyReferenceExists            42272
    ├── StoreError                        500, 50001
    ├── DekGenerationFailed               500, 50070 (the KMS could not wrap or unwrap a DEK)
    └── SecurityError                     401, 403, 415, 400 (registry.security.errors)

Everything else that escapes a handler becomes 500 with error_code 50000 at the app boundary.
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "ContextNotEmpty",
    "ContextNotFound",
    "DekGenerationFailed",
    "IdMismatch",
    "IncompatibleSchema",
    "InvalidCompatibilityLevel",
    "InvalidKey",
    "InvalidMode",
    "InvalidSchema",
    "InvalidSubject",
    "InvalidVersion",
    "KeyConflict",
    "KeyExists",
    "KeyNotFound",
    "KeyNotSoftDeleted",
    "KeyReferenceExists",
    "KeySoftDeleted",
    "NotFoundError",
    "OperationNotPermitted",
    "ReferenceExists",
    "RegistryError",
    "RequestTooLarge",
    "SchemaNotFound",
    "SchemaTooLarge",
    "StoreError",
    "SubjectConfigNotFound",
    "SubjectModeNotFound",
    "SubjectNotFound",
    "SubjectNotSoftDeleted",
    "SubjectSoftDeleted",
    "TooManyKeys",
    "UnprocessableError",
    "VersionNotFound",
    "VersionNotSoftDeleted",
    "VersionSoftDeleted",
]


class RegistryError(Exception):
    status: int = 500
    error_code: int = 50001

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), self.message))

    def __str__(self) -> str:
        return self.message


class NotFoundError(RegistryError):
    status = 404
    error_code = 404


class SubjectNotFound(NotFoundError):
    error_code = 40401

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' not found.")
        self.subject = subject


class VersionNotFound(NotFoundError):
    error_code = 40402

    def __init__(self, subject: str, version: int | str) -> None:
        super().__init__(f"Version {version} not found for subject '{subject}'.")
        self.subject = subject
        self.version = version


class SchemaNotFound(NotFoundError):
    error_code = 40403

    def __init__(self, message: str = "Schema not found") -> None:
        super().__init__(message)


class SubjectSoftDeleted(NotFoundError):
    error_code = 40404

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
        )
        self.subject = subject


class SubjectNotSoftDeleted(NotFoundError):
    error_code = 40405

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' was not deleted first before being permanently deleted"
        )
        self.subject = subject


class VersionSoftDeleted(NotFoundError):
    error_code = 40406

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was soft deleted. "
            "Set permanent=true to delete permanently"
        )
        self.subject = subject
        self.version = version


class VersionNotSoftDeleted(NotFoundError):
    error_code = 40407

    def __init__(self, subject: str, version: int) -> None:
        super().__init__(
            f"Subject '{subject}' Version {version} was not deleted first "
            "before being permanently deleted"
        )
        self.subject = subject
        self.version = version


class SubjectConfigNotFound(NotFoundError):
    error_code = 40408

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"Subject '{subject}' does not have subject-level compatibility configured"
        )
        self.subject = subject


class SubjectModeNotFound(NotFoundError):
    error_code = 40409

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' does not have subject-level mode configured")
        self.subject = subject


class ContextNotFound(NotFoundError):
    error_code = 40401

    def __init__(self, context: str) -> None:
        super().__init__(f"Context '{context}' not found.")
        self.context = context


class IncompatibleSchema(RegistryError):
    status = 409
    error_code = 409

    def __init__(self, subject: str, messages: list[str]) -> None:
        detail = "; ".join(messages)
        super().__init__(
            f"Schema being registered is incompatible with an earlier schema for subject "
            f"'{subject}', details: [{detail}]"
        )
        self.subject = subject
        self.messages = messages


class BadRequest(RegistryError):
    status = 400
    error_code = 400


class RequestTooLarge(RegistryError):
    """A request body over its limit: the one error for it, from the body-limit middleware,
    the security check and the routes that read bodies alike."""

    status = 413
    error_code = 41301

    @classmethod
    def over(cls, limit: int, declared: int | None = None) -> RequestTooLarge:
        if declared is None:
            return cls(f"Request body exceeds {limit} bytes")
        return cls(f"Request body of {declared} bytes exceeds {limit} bytes")


class UnprocessableError(RegistryError):
    status = 422
    error_code = 422


class InvalidSchema(UnprocessableError):
    error_code = 42201


class InvalidVersion(UnprocessableError):
    error_code = 42202

    def __init__(self, version: str) -> None:
        super().__init__(
            f"The specified version '{version}' is not a valid version id. Allowed values are "
            'between [1, 2^31-1] and the string "latest"'
        )
        self.version = version


class InvalidCompatibilityLevel(UnprocessableError):
    error_code = 42203


class InvalidMode(UnprocessableError):
    error_code = 42204


class OperationNotPermitted(UnprocessableError):
    error_code = 42205


class ReferenceExists(UnprocessableError):
    error_code = 42206


class IdMismatch(UnprocessableError):
    error_code = 42207


class InvalidSubject(UnprocessableError):
    error_code = 42208


class SchemaTooLarge(UnprocessableError):
    error_code = 42209


class StoreError(RegistryError):
    status = 500
    error_code = 50001


class ContextNotEmpty(UnprocessableError):
    error_code = 42211

    def __init__(self, context: str) -> None:
        super().__init__(f"The specified context '{context}' is not empty.")
        self.context = context


# -- the DEK registry (/dek-registry/v1): Confluent's codes and messages


class KeyNotFound(NotFoundError):
    error_code = 40470

    def __init__(self, name: str) -> None:
        super().__init__(f"Key '{name}' not found")
        self.name = name


class KeyNotSoftDeleted(NotFoundError):
    error_code = 40471

    def __init__(self, name: str) -> None:
        super().__init__(f"Key '{name}' was not deleted first before being permanently deleted")
        self.name = name


class KeySoftDeleted(NotFoundError):
    error_code = 40472

    def __init__(self, name: str) -> None:
        super().__init__(f"Key '{name}' must be undeleted first")
        self.name = name


class KeyConflict(RegistryError):
    status = 409
    error_code = 409


class KeyExists(KeyConflict):
    error_code = 40971

    def __init__(self, name: str) -> None:
        super().__init__(f"Key '{name}' already exists; use a different value")
        self.name = name


class TooManyKeys(KeyConflict):
    error_code = 40972

    def __init__(self, keys_max: int) -> None:
        super().__init__(f"A maximum of {keys_max} keys already exist")
        self.keys_max = keys_max


class InvalidKey(UnprocessableError):
    """A KEK or DEK field that is missing or malformed; the message starts with its name."""

    error_code = 42271


class KeyReferenceExists(UnprocessableError):
    error_code = 42272

    def __init__(self, name: str) -> None:
        super().__init__(f"One or more references exist to the key {name}")
        self.name = name


class DekGenerationFailed(RegistryError):
    status = 500
    error_code = 50070
