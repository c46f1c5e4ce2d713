"""What `charter produce`, `consume` and `replay` share: options, defaults, value rendering.

Imports only typer at module level; the SDK loads inside the commands.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer

__all__ = [
    "BrokerOption",
    "StreamRegistryOption",
    "broker_url",
    "registry_url",
    "sdk_errors",
    "to_json",
]

DEFAULT_REGISTRY = "http://127.0.0.1:8081"
DEFAULT_BROKER = "charter://127.0.0.1:8081"

StreamRegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help=f"Registry URL; default: CHARTER_REGISTRY_URL, then {DEFAULT_REGISTRY}.",
    ),
]
BrokerOption = Annotated[
    str | None,
    typer.Option(
        "--broker",
        help="charter://host:port, kafka://host:port, file:///path or memory://; "
        f"default: CHARTER_BROKER_URL, then {DEFAULT_BROKER}.",
    ),
]


def registry_url(given: str | None) -> str:
    return given or os.environ.get("CHARTER_REGISTRY_URL") or DEFAULT_REGISTRY


def broker_url(given: str | None) -> str:
    return given or os.environ.get("CHARTER_BROKER_URL") or DEFAULT_BROKER


def credentials(broker: str | None = None) -> dict[str, Any]:
    """CHARTER_AUTH_KEY/CHARTER_AUTH_SECRET or CHARTER_AUTH_TOKEN as keyword arguments for the
    registry client, or, given a broker URL, for its transport (only `charter://` takes them)."""
    from sdk.credentials import from_env

    if broker is not None and not broker.lower().startswith("charter://"):
        return {}
    return from_env().options()


@contextmanager
def sdk_errors(command: str) -> Iterator[None]:
    """SDK errors (registry, broker, configuration): one line on stderr and exit code 2."""
    from sdk import SdkError

    try:
        yield
    except SdkError as exc:
        typer.echo(f"charter {command}: error: {exc}", err=True)
        raise typer.Exit(code=2) from None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value: Any) -> str:
    """Compact JSON for decoded values (decimals as strings, bytes in base64)."""
    return json.dumps(value, default=_plain, ensure_ascii=False, separators=(",", ":"))


def text_or_none(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        return base64.b64encode(data).decode()
