"""`charter import` between two running Charter instances keeps contexts (each with its own
ids) and copies configs with their data-contract fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from cli.main import app
from tests.sdk.server import charter_serve, needs_registry

pytestmark = needs_registry

ORDER = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]})
PAYMENT = json.dumps({"type": "record", "name": "Payment",
                      "fields": [{"name": "cents", "type": "long"}]})
DEFAULT_METADATA = {"properties": {"owner": "platform"}}
OVERRIDE_RULES = {"domainRules": [{"name": "positive", "kind": "CONDITION", "mode": "WRITE",
                                   "type": "CEL", "expr": "message.cents > 0"}]}
SUBJECT_CONFIG: dict[str, Any] = {
    "compatibility": "FULL", "compatibilityGroup": "major", "alias": "payments",
    "validateFields": True, "overrideMetadata": {"properties": {"tier": "gold"}},
    "overrideRuleSet": OVERRIDE_RULES,
}


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 204), response.text
    return response.json() if response.content else None


def test_import_keeps_contexts_ids_and_contract_configs(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    with (
        charter_serve(tmp_path / "source") as source,
        charter_serve(tmp_path / "target") as target,
    ):
        # The same id, 40, names different schemas in the default context and in `.eu`.
        _ok(httpx.put(f"{source}/mode", json={"mode": "IMPORT"}))
        _ok(httpx.put(f"{source}/mode/:.eu:", json={"mode": "IMPORT"}))
        _ok(httpx.post(f"{source}/subjects/orders/versions",
                       json={"schema": ORDER, "id": 40, "version": 1}))
        _ok(httpx.post(f"{source}/subjects/:.eu:payments/versions",
                       json={"schema": PAYMENT, "id": 40, "version": 2}))
        _ok(httpx.delete(f"{source}/mode/:.eu:"))
        _ok(httpx.put(f"{source}/mode", json={"mode": "READWRITE"}))
        _ok(httpx.put(f"{source}/config", json={"defaultMetadata": DEFAULT_METADATA}))
        _ok(httpx.put(f"{source}/config/:.eu:", json={"compatibility": "NONE"}))
        _ok(httpx.put(f"{source}/config/:.eu:payments", json=SUBJECT_CONFIG))
        eu_guid = _ok(httpx.get(f"{source}/subjects/:.eu:payments/versions/2"))["guid"]

        result = CliRunner().invoke(app, ["import", "--from", source, "--to", target])
        assert result.exit_code == 0, result.output
        assert "imported 2 version(s) of 2 subject(s)" in result.stdout
        assert "verified: ok" in result.stdout

        assert _ok(httpx.get(f"{target}/contexts")) == [".", ".eu"]
        orders = _ok(httpx.get(f"{target}/schemas/ids/40"))
        assert json.loads(orders["schema"]) == json.loads(ORDER)
        payments = _ok(httpx.get(f"{target}/contexts/.eu/subjects/payments/versions/2"))
        assert (payments["id"], payments["guid"]) == (40, eu_guid)
        assert json.loads(_ok(httpx.get(f"{target}/schemas/ids/40?subject=:.eu:"))["schema"]) \
            == json.loads(PAYMENT)
        # Configs: registry-wide, the context's own and the subject's, contract fields too.
        assert _ok(httpx.get(f"{target}/config"))["defaultMetadata"] == DEFAULT_METADATA
        assert _ok(httpx.get(f"{target}/config/:.eu:"))["compatibilityLevel"] == "NONE"
        copied = _ok(httpx.get(f"{target}/config/:.eu:payments"))
        assert copied["compatibilityLevel"] == "FULL"
        for field in ("compatibilityGroup", "alias", "validateFields", "overrideMetadata",
                      "overrideRuleSet"):
            assert copied[field] == SUBJECT_CONFIG[field], field
        # The modes are back as they were: the target's and the context's (none of its own).
        assert _ok(httpx.get(f"{target}/mode")) == {"mode": "READWRITE"}
        assert httpx.get(f"{target}/mode/:.eu:").json()["error_code"] == 40409
