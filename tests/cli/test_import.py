"""`charter import` between two running Charter instances keeps ids and versions."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from typer.testing import CliRunner

from cli.main import app
from tests.sdk.server import charter_serve, needs_registry

pytestmark = needs_registry

MONEY = '{"type": "record", "name": "Money", "fields": [{"name": "cents", "type": "long"}]}'
INVOICE = '{"type": "record", "name": "Invoice", "fields": [{"name": "amount", "type": "Money"}]}'
ORDER = '{"type": "object", "properties": {"id": {"type": "string"}}}'


def _post(url: str, subject: str, body: dict[str, object]) -> int:
    response = httpx.post(f"{url}/subjects/{subject}/versions", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def test_import_keeps_ids_versions_references_and_config(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    with (
        charter_serve(tmp_path / "source") as source,
        charter_serve(tmp_path / "target") as target,
    ):
        # Give the source ids and versions a fresh registry would not assign by itself.
        assert httpx.put(f"{source}/mode", json={"mode": "IMPORT"}).status_code == 200
        _post(source, "money", {"schema": MONEY, "id": 40, "version": 3})
        assert httpx.put(f"{source}/mode", json={"mode": "READWRITE"}).status_code == 200
        invoice_ref = [{"name": "Money", "subject": "money", "version": 3}]
        invoice_id = _post(source, "invoice", {"schema": INVOICE, "references": invoice_ref})
        order_id = _post(source, "orders", {"schema": ORDER, "schemaType": "JSON"})
        httpx.put(f"{source}/config/orders", json={"compatibility": "NONE"})
        properties = {"id": {"type": "string"}, "n": {"type": "integer"}}
        order2 = json.dumps({"type": "object", "properties": properties})
        order2_id = _post(source, "orders", {"schema": order2, "schemaType": "JSON"})
        # The same text with a data contract is a new schema (version 3, its own GUID).
        contract = {"metadata": {"properties": {"owner": "billing"}},
                    "ruleSet": {"domainRules": [{"name": "n", "kind": "CONDITION",
                                                 "mode": "WRITE", "type": "CEL",
                                                 "expr": "message.n > 0"}]}}
        order3_id = _post(source, "orders", {"schema": order2, "schemaType": "JSON", **contract})

        result = CliRunner().invoke(app, ["import", "--from", source, "--to", target])
        assert result.exit_code == 0, result.output
        assert "imported 5 version(s) of 3 subject(s)" in result.stdout
        assert "verified: ok" in result.stdout

        def version(subject: str, number: int) -> dict[str, object]:
            body: dict[str, object] = httpx.get(
                f"{target}/subjects/{subject}/versions/{number}"
            ).json()
            return body

        assert version("money", 3)["id"] == 40
        assert version("invoice", 1)["id"] == invoice_id
        assert version("invoice", 1)["references"] == invoice_ref
        assert version("orders", 1)["id"] == order_id
        assert version("orders", 2)["id"] == order2_id
        copied = version("orders", 3)
        assert copied["id"] == order3_id
        assert {k: copied[k] for k in contract} == contract
        for subject, number in (("money", 3), ("invoice", 1), ("orders", 1), ("orders", 3)):
            original = httpx.get(f"{source}/subjects/{subject}/versions/{number}").json()
            assert version(subject, number)["guid"] == original["guid"]
        assert httpx.get(f"{target}/subjects/money/versions").json() == [3]
        assert httpx.get(f"{target}/config/orders").json()["compatibilityLevel"] == "NONE"
        assert httpx.get(f"{target}/mode").json() == {"mode": "READWRITE"}

        # A second import into a non-empty registry needs --force, and is then a no-op.
        again = CliRunner().invoke(app, ["import", "--from", source, "--to", target])
        assert again.exit_code == 2 and "--force" in again.stderr
        forced = CliRunner().invoke(app, ["import", "--from", source, "--to", target, "--force"])
        assert forced.exit_code == 0, forced.output
        assert "verified: ok" in forced.stdout
