"""A temporary git repository with a history of Avro and JSON Schema commits, a runner, and
one `charter serve` for the session's registry tests (each test uses subjects of its own)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app

USER_V1 = """{
  "type": "record",
  "name": "User",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "age", "type": "int"}
  ]
}
"""
# Compatible (BACKWARD): a new optional field with a default.
USER_V2 = """{
  "type": "record",
  "name": "User",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "age", "type": "int"},
    {"name": "email", "type": ["null", "string"], "default": null}
  ]
}
"""
# Breaking: id changes type; TYPE_MISMATCH at /fields/0/type, line 5 column 20.
USER_V3 = USER_V2.replace('"name": "id", "type": "string"', '"name": "id", "type": "long"')

ORDER_V1 = """{
  "type": "object",
  "properties": {
    "orderId": {"type": "string"},
    "total": {"type": "number"}
  },
  "additionalProperties": false
}
"""
ORDER_V2 = """{
  "type": "object",
  "properties": {
    "orderId": {"type": "string"},
    "total": {"type": "number"},
    "note": {"type": "string"}
  },
  "additionalProperties": false
}
"""
# Breaking: total changes type; TYPE_CHANGED at /properties/total, line 5 column 5.
ORDER_V3 = ORDER_V2.replace('"total": {"type": "number"}', '"total": {"type": "string"}')

CONFIG = """defaults:
  compatibility: BACKWARD
  new_subjects: allow
contracts:
  - glob: "schemas/*.avsc"
    subject: "{stem}-value"
  - subject: orders-value
    file: schemas/order.json
"""


@dataclass
class Repo:
    root: Path

    @classmethod
    def create(cls, root: Path) -> Repo:
        """An empty repository at `root` (a new directory) on branch main, committing as CI."""
        repo = cls(root)
        root.mkdir()
        repo.git("init", "-q", "-b", "main")
        repo.git("config", "user.email", "ci@example.com")
        repo.git("config", "user.name", "CI")
        return repo

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=True
        )
        return done.stdout

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def charter(self, args: Sequence[str], env: dict[str, str] | None = None) -> Result:
        full = [*args]
        if "--config" not in full and args and args[0] in ("check", "register"):
            full += ["--config", str(self.root / "charter.yaml")]
        base = {"CHARTER_REGISTRY_URL": "", "GITHUB_STEP_SUMMARY": ""}
        result = CliRunner().invoke(app, full, env={**base, **(env or {})})
        return Result(result.exit_code, result.stdout, result.stderr)

    def check_json(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = self.charter(["check", *args, "--format", "json"])
        assert result.stdout, result.stderr
        return result.code, json.loads(result.stdout)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Commits: v1 of both schemas, then v2 (compatible); the working tree holds v2."""
    repo = Repo.create(tmp_path / "repo")
    repo.write("charter.yaml", CONFIG)
    repo.write("schemas/user.avsc", USER_V1)
    repo.write("schemas/order.json", ORDER_V1)
    repo.commit("v1")
    repo.write("schemas/user.avsc", USER_V2)
    repo.write("schemas/order.json", ORDER_V2)
    repo.commit("v2: compatible")
    return repo


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.sdk.server import charter_serve

    with charter_serve(tmp_path_factory.mktemp("registry")) as url:
        yield url
