"""Start a real `charter serve` for integration tests (SQLite in a temp directory)."""

from __future__ import annotations

import pytest

from cli.spawn import free_port
from cli.spawn import spawn_serve as charter_serve

__all__ = ["charter_serve", "free_port", "needs_registry", "registry_available"]


def registry_available() -> bool:
    try:
        import cli.serve  # noqa: F401
        import registry
    except ImportError:
        return False
    return hasattr(registry, "create_app")


needs_registry = pytest.mark.skipif(not registry_available(), reason="registry not yet available")
