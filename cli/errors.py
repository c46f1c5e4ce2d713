"""Errors raised by the `charter` CI commands; each ends the command with exit code 2.

    CliError
    ├── ConfigError      charter.yaml is missing, unreadable or invalid
    ├── SourceError      a schema file or a git ref cannot be read
    └── RegistryError    the registry cannot be reached or answered with an error

Foreign errors (OSError, httpx, subprocess, yaml) are translated where they are raised.
"""

from __future__ import annotations

__all__ = ["CliError", "ConfigError", "RegistryError", "SourceError"]


class CliError(Exception):
    """Base of every error the CI commands report as a usage, config or network error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(CliError):
    pass


class SourceError(CliError):
    pass


class RegistryError(CliError):
    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
