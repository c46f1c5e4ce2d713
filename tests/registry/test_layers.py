"""The registry's layers, as its imports show them: routers → service → repository, with the
schemas module beside the service. Each rule names imports a module must not have."""

from __future__ import annotations

import ast
import subprocess
import sys
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


# The registry depends on compat, never on the SDK or the CLI above it (design.md's map): the
# SDK's rule engine reaches the broker's checks through `registry.contracts.DomainRules`, which
# `charter serve` fills in.
ABOVE = ("sdk", "cli", "bench")


def test_the_registry_imports_neither_the_sdk_nor_the_cli() -> None:
    for path in sorted(REGISTRY.rglob("*.py")):
        bad = sorted(
            name for name in imports(path)
            if any(name == above or name.startswith(above + ".") for above in ABOVE)
        )
        assert not bad, f"{path.relative_to(REGISTRY.parent)} imports {bad}"


def test_the_running_registry_loads_no_sdk() -> None:
    """Also what the registry's own imports load, with a CEL rule set compiled and refused."""
    code = (
        "import sys\n"
        "import registry.app, registry.contracts, registry.console, registry.datacontract\n"
        "from registry import errors\n"
        "rule = {'name': 'r', 'kind': 'CONDITION', 'mode': 'WRITE', 'type': 'CEL'}\n"
        "registry.datacontract.canonical_rule_set({'domainRules': [{**rule, 'expr': 'a > 1'}]})\n"
        "try:\n"
        "    registry.datacontract.canonical_rule_set({'domainRules': [{**rule, 'expr': 'a >'}]})\n"
        "except errors.InvalidSchema:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('a rule that does not compile was taken')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sdk', 'cli', 'bench'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=REGISTRY.parent)
    assert done.stdout.strip() == "[]"
