"""The DEK registry is layered as the registry is: its router speaks HTTP and calls its
service, the service holds the rules and reaches SQL only through its repository, and its
values and KMS know neither the web nor SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry.test_layers import imports

DEK = Path(__file__).resolve().parents[2] / "registry" / "dek"
WEB = ("fastapi", "starlette", "pydantic")
SQL = ("sqlalchemy", "sqlmodel", "psycopg", "registry.db", "registry.dek.models",
       "registry.dek.repository", "registry.models", "registry.repository")

RULES: dict[str, tuple[str, ...]] = {
    "router.py": SQL,
    "service.py": (*WEB, *SQL[:5], "registry.models", "registry.repository",
                   "registry.dek.router", "registry.http"),
    "repository.py": (*WEB, "registry.dek.service", "registry.dek.router", "registry.http"),
    "values.py": (*WEB, *SQL),
    "kms.py": (*WEB, *SQL, "registry.dek.service"),
}


@pytest.mark.parametrize("module", sorted(RULES))
def test_dek_layer_imports(module: str) -> None:
    found = imports(DEK / module)
    bad = sorted(n for n in found
                 if any(n == b or n.startswith(b + ".") for b in RULES[module]))
    assert bad == []


def test_the_router_reaches_the_data_through_the_service() -> None:
    assert "registry.dek.service" in imports(DEK / "router.py")
    assert "registry.dek.repository" in imports(DEK / "service.py")
