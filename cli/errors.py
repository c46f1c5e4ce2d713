"""Errors raised by the `charter` CI commands; each ends the command with exit code 2.

    CliError
    ├── ConfigError      charter.yaml is missing, unreadable or invalid
    └── SourceError      a schema file or a git ref cannot be read

The registry is reached through the SDK's client (`sdk.Registry`), whose `sdk.RegistryError`
(unreachable, or an error answer) ends a command the same way; `reported_errors()` names both.
Foreign errors (OSError, subprocess, yaml) are translated where they are raised.
"""

from __future__ import annotations

import sys

__all__ = ["CliError", "ConfigError", "SourceError", "reported_errors"]


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


def reported_errors() -> tuple[type[Exception], ...]:
    """The errors a command reports as one line: `CliError` and the SDK's `RegistryError`.

    The SDK is imported only by commands that talk to a registry (it would double the start-up
    time of `charter check --against git:REF`); until it is imported, none of its errors can
    have been raised, so it is looked up among the loaded modules, not imported here.
    """
    sdk_errors = sys.modules.get("sdk.errors")
    if sdk_errors is None:
        return (CliError,)
    return (CliError, sdk_errors.RegistryError)
