"""docs/cli.md works as written: its charter.yaml loads, its commands and hooks exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from cli.config import load_config

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "cli.md").read_text()


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)


def test_documented_charter_yaml_loads(tmp_path: Path) -> None:
    [example] = [b for b in _yaml_blocks() if b.startswith("registry:")]
    for path in ("schemas/order.placed.avsc", "schemas/invoice.avsc"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text('"string"')
    (tmp_path / "schemas/events").mkdir()
    (tmp_path / "schemas/events/payment.made.schema.json").write_text("{}")
    (tmp_path / "protos/shop").mkdir(parents=True)
    (tmp_path / "third_party").mkdir()
    (tmp_path / "protos/shop/shipment.proto").write_text('syntax = "proto3";')
    (tmp_path / "charter.yaml").write_text(example)
    config = load_config(tmp_path / "charter.yaml")
    subjects = {c.subject: c for c in config.contracts}
    assert set(subjects) == {
        "orders-value", "payment.made-value", "invoice-value", "shipments-value"
    }
    assert subjects["payment.made-value"].schema_type == "JSON"
    shipments = subjects["shipments-value"]
    assert (shipments.schema_type, shipments.proto_paths) == (
        "PROTOBUF", ("protos", "third_party")
    )
    assert config.waivers[0].fingerprint == "547badc21f88f49a"


def test_every_yaml_block_parses_and_the_hook_id_exists() -> None:
    for block in _yaml_blocks():
        yaml.safe_load(block)
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["charter-check"]
    assert "charter check" in hooks[0]["entry"]
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"against", "sarif"}
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "--format github" in script and "--format sarif" in script
