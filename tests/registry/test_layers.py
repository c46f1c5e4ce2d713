"""The registry's layers, as its imports show them: routers → service → repository, with the
schemas module beside the service. Each rule names imports a module must not have."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REGISTRY = Path(__file__).resolve().parents[2] / "registry"
WEB = ("fastapi", "starlette")
SQL = ("sqlalchemy", "sqlmodel", "psycopg", "registry.db", "registry.models",
       "registry.repository")

RULES: dict[str, tuple[str, ...]] = {
    # routers speak HTTP and call the service; the data layer is out of their reach
    "routers/": SQL,
    # the repository knows SQL, not the web nor the rules above it
    "repository.py": (*WEB, "pydantic", "registry.service", "registry.routers",
                      "registry.schemas", "registry.http"),
    # the service holds the rules: no HTTP, and SQL only through the repository
    "service.py": (*WEB, "sqlalchemy", "sqlmodel", "psycopg", "registry.db",
                   "registry.models", "registry.routers", "registry.http"),
    "memory.py": (*WEB, "sqlalchemy", "sqlmodel", "psycopg", "registry.db",
                  "registry.models", "registry.routers", "registry.http"),
    # parsing and resolving schemas reads data through a Protocol only
    "schemas/": (*SQL, *WEB, "registry.service", "registry.routers", "registry.http"),
    "values.py": (*SQL, *WEB, "pydantic"),
    "contracts.py": (*SQL, *WEB),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(rule: str) -> list[Path]:
    target = REGISTRY / rule
    return sorted(target.rglob("*.py")) if rule.endswith("/") else [target]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_layer_imports(rule: str) -> None:
    files = modules(rule)
    assert files, f"no module matches {rule}"
    for path in files:
        bad = sorted(
            name for name in imports(path)
            if any(name == banned or name.startswith(banned + ".") for banned in RULES[rule])
        )
        assert not bad, f"{path.relative_to(REGISTRY.parent)} imports {bad}"


def test_routers_reach_the_data_through_the_service() -> None:
    used = set().union(*(imports(p) for p in modules("routers/")))
    assert "registry.http" in used  # the dependency that hands out the service
    http = imports(REGISTRY / "http.py")
    assert "registry.service" in http and not http & {"registry.repository", "registry.models"}
