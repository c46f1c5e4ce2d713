"""`.proto` contracts in `charter check --against git:REF`: imports through `proto_paths`, the
well-known types, findings at file:line:col in every output format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cli.errors import ConfigError
from cli.report.json_report import SCHEMA
from tests.cli.conftest import Repo

MONEY = """syntax = "proto3";
package shop;

message Money {
  string currency = 1;
  int64 units = 2;
}
"""

ORDER_V1 = """syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";
import "shop/money.proto";

// An order as the checkout service publishes it.
message Order {
  string id = 1;
  Money total = 2;
  google.protobuf.Timestamp placed_at = 3;
  repeated Line lines = 4;
  oneof payment {
    string card = 5;
    string iban = 6;
  }
  Status status = 7;

  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
  enum Status {
    STATUS_UNKNOWN = 0;
    STATUS_OPEN = 1;
  }
}
"""
# Compatible: a new field and a new enum value.
ORDER_V2 = ORDER_V1.replace(
    "  Status status = 7;\n", "  Status status = 7;\n  string note = 8;\n"
).replace("    STATUS_OPEN = 1;\n", "    STATUS_OPEN = 1;\n    STATUS_PAID = 2;\n")
# Breaking: Line.quantity leaves the numbers' wire group (line 22, column 5).
ORDER_QUANTITY_STRING = ORDER_V2.replace("int32 quantity = 2;", "string quantity = 2;")

CONFIG = """defaults:
  compatibility: BACKWARD
  proto_paths: [protos]
contracts:
  - subject: orders-value
    file: protos/shop/order.proto
"""


def _line_column(text: str, needle: str) -> tuple[int, int]:
    """The 1-based position of the first `needle` in `text`, found independently of protoc."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


@pytest.fixture
def proto_repo(tmp_path: Path) -> Repo:
    """Commits: v1 of the order and its imported money file, then v2 (compatible)."""
    repo = Repo.create(tmp_path / "repo")
    repo.write("charter.yaml", CONFIG)
    repo.write("protos/shop/money.proto", MONEY)
    repo.write("protos/shop/order.proto", ORDER_V1)
    repo.commit("v1")
    repo.write("protos/shop/order.proto", ORDER_V2)
    repo.commit("v2: compatible")
    return repo


def _contract(report: dict[str, Any], subject: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["contracts"] if c["subject"] == subject)
    return found


def test_compatible_change_passes_and_the_local_import_is_its_own_subject(
    proto_repo: Repo,
) -> None:
    code, report = proto_repo.check_json("--against", "git:HEAD~1")
    assert code == 0, report
    jsonschema.validate(report, SCHEMA)
    statuses = {c["subject"]: (c["status"], c["schema_type"]) for c in report["contracts"]}
    # The import path is the imported file's subject, as Confluent's serialiser names it.
    assert statuses == {
        "shop/money.proto": ("compatible", "PROTOBUF"),
        "orders-value": ("compatible", "PROTOBUF"),
    }
    assert [c["subject"] for c in report["contracts"]] == ["shop/money.proto", "orders-value"]
    assert _contract(report, "shop/money.proto")["file"] == "protos/shop/money.proto"


def test_breaking_change_fails_with_rule_and_file_line_column(proto_repo: Repo) -> None:
    proto_repo.write("protos/shop/order.proto", ORDER_QUANTITY_STRING)
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1
    order = _contract(report, "orders-value")
    assert order["status"] == "breaking"
    [finding] = order["findings"]
    assert finding["rule"] == "FIELD_SCALAR_KIND_CHANGED"
    assert finding["location"] == "#/Order/Line/quantity"
    where = _line_column(ORDER_QUANTITY_STRING, "string quantity = 2;")
    assert where == (22, 5)
    assert (finding["file"], finding["line"], finding["column"]) == (
        "protos/shop/order.proto",
        *where,
    )
    assert finding["direction"] == "BACKWARD" and finding["against"] == "git:HEAD"
    assert "int32" in finding["message"] and finding["hint"]
    text = proto_repo.charter(["check", "--against", "git:HEAD"])
    assert text.code == 1
    assert "protos/shop/order.proto:22:5: error FIELD_SCALAR_KIND_CHANGED" in text.stdout


def test_removed_elements_point_at_the_enclosing_element(proto_repo: Repo) -> None:
    new = ORDER_V2.replace("    string iban = 6;\n", "")
    proto_repo.write("protos/shop/order.proto", new)
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1
    found = {
        (f["rule"], f["location"], f["line"], f["column"], f["status"])
        for f in _contract(report, "orders-value")["findings"]
    }
    oneof, message = _line_column(new, "oneof payment"), _line_column(new, "message Order")
    assert found == {
        ("ONEOF_FIELD_REMOVED", "#/Order/payment/iban", *oneof, "error"),
        ("FIELD_NUMBER_NOT_RESERVED", "#/Order/iban", *message, "warning"),
    }


def test_a_break_in_a_local_import_is_reported_in_the_imported_file(proto_repo: Repo) -> None:
    new = MONEY.replace("int64 units = 2;", "double units = 2;")
    proto_repo.write("protos/shop/money.proto", new)
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1
    money = _contract(report, "shop/money.proto")
    [finding] = money["findings"]
    assert finding["rule"] == "FIELD_SCALAR_KIND_CHANGED"
    assert (finding["file"], finding["line"], finding["column"]) == (
        "protos/shop/money.proto",
        *_line_column(new, "double units"),
    )


def test_an_imported_type_resolves_against_the_file_as_it_was_at_the_ref(
    proto_repo: Repo,
) -> None:
    """The old order is compiled with money.proto as committed: a message the working tree's
    money.proto no longer has still resolves at git:HEAD, and the rename breaks the field."""
    proto_repo.write("protos/shop/money.proto", MONEY.replace("Money", "Amount"))
    new = ORDER_V2.replace("Money total", "Amount total")
    proto_repo.write("protos/shop/order.proto", new)
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1
    rules = {
        (f["rule"], f["line"], f["column"])
        for f in _contract(report, "orders-value")["findings"]
    }
    assert ("FIELD_NAMED_TYPE_CHANGED", *_line_column(new, "Amount total")) in rules
    money_rules = {f["rule"] for f in _contract(report, "shop/money.proto")["findings"]}
    assert money_rules == {"MESSAGE_REMOVED"}


def test_a_well_known_import_resolves_without_a_file(proto_repo: Repo) -> None:
    new = ORDER_V2.replace('"google/protobuf/timestamp.proto"', '"google/protobuf/duration.proto"')
    new = new.replace("google.protobuf.Timestamp placed_at", "google.protobuf.Duration placed_at")
    proto_repo.write("protos/shop/order.proto", new)
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1
    [finding] = _contract(report, "orders-value")["findings"]
    assert finding["rule"] == "FIELD_NAMED_TYPE_CHANGED"
    assert "google.protobuf.Timestamp" in finding["message"]
    assert (finding["line"], finding["column"]) == _line_column(new, "google.protobuf.Duration")
    # No local file stands in for google/protobuf/*: only the two contracts are reported.
    assert len(report["contracts"]) == 2


def test_a_proto_that_does_not_compile_is_placed_where_protoc_says(proto_repo: Repo) -> None:
    bad = ORDER_V2.replace("string sku = 1;", "strin sku = 1;")
    proto_repo.write("protos/shop/order.proto", bad)
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 2
    order = _contract(report, "orders-value")
    assert order["status"] == "invalid"
    [finding] = order["findings"]
    assert finding["rule"] == "SCHEMA_INVALID" and '"strin" is not defined' in finding["message"]
    assert (finding["line"], finding["column"]) == _line_column(bad, "strin sku")

    missing = ORDER_V2.replace('"shop/money.proto"', '"shop/nowhere.proto"')
    proto_repo.write("protos/shop/order.proto", missing)
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 2
    [finding] = _contract(report, "orders-value")["findings"]
    assert "shop/nowhere.proto" in finding["message"]
    assert finding["hint"].startswith("no file 'shop/nowhere.proto' under proto_paths (protos)")
    assert (finding["line"], finding["column"]) == _line_column(missing, "import \"shop/now")


def test_imports_resolve_through_the_roots_in_order(proto_repo: Repo) -> None:
    """A contract's own proto_paths win over the defaults; the first root holding the import
    is the one used, as with protoc's --proto_path."""
    proto_repo.write("vendor/shop/money.proto", MONEY.replace("int64 units", "string units"))
    proto_repo.write(
        "charter.yaml",
        CONFIG + "    proto_paths: [vendor, protos]\n",
    )
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 0, report  # vendor/ is new at the ref: a new subject, nothing to break
    money = _contract(report, "shop/money.proto")
    assert money["file"] == "vendor/shop/money.proto" and money["status"] == "new"


def test_an_imported_file_declared_as_a_contract_keeps_its_subject(proto_repo: Repo) -> None:
    proto_repo.write(
        "charter.yaml",
        CONFIG + "  - subject: money-value\n    file: protos/shop/money.proto\n",
    )
    proto_repo.write("protos/shop/money.proto", MONEY.replace("int64 units", "string units"))
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1
    assert {c["subject"] for c in report["contracts"]} == {"orders-value", "money-value"}
    assert _contract(report, "money-value")["status"] == "breaking"


def test_every_output_format_carries_the_protobuf_finding(proto_repo: Repo, tmp_path: Path) -> None:
    proto_repo.write("protos/shop/order.proto", ORDER_QUANTITY_STRING)
    file, rule = "protos/shop/order.proto", "FIELD_SCALAR_KIND_CHANGED"
    runs = {
        fmt: proto_repo.charter(["check", "--against", "git:HEAD", "--format", fmt])
        for fmt in ("text", "json", "github", "sarif", "junit", "markdown")
    }
    assert {fmt: r.code for fmt, r in runs.items()} == dict.fromkeys(runs, 1)

    jsonschema.validate(json.loads(runs["json"].stdout), SCHEMA)
    assert f"{file}:22:5: error {rule}" in runs["text"].stdout

    [annotation] = [
        line for line in runs["github"].stdout.splitlines() if line.startswith("::error ")
    ]
    assert annotation.startswith(f"::error file={file},line=22,col=5,title={rule}::[orders-value]")

    sarif = json.loads(runs["sarif"].stdout)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == rule
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == rule
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == file
    assert location["region"] == {"startLine": 22, "startColumn": 5}

    root = ET.fromstring(runs["junit"].stdout)
    [failure] = root.findall(".//failure")
    assert failure.get("type") == rule and f"{file}:22:5" in (failure.text or "")
    assert {case.get("classname") for case in root.iter("testcase")} == {"charter.protobuf"}

    assert f"| error | `{rule}` | `{file}:22:5` |" in runs["markdown"].stdout


def test_proto_paths_are_validated(proto_repo: Repo) -> None:
    from cli.config import load_config

    config = load_config(proto_repo.root / "charter.yaml")
    [order] = config.contracts
    assert (order.schema_type, order.proto_paths) == ("PROTOBUF", ("protos",))
    order_file = "{subject: a, file: protos/shop/order.proto"
    cases = {
        f"defaults:\n  proto_paths: [nowhere]\ncontracts:\n  - {order_file}}}\n":
            "'nowhere' is not a directory",
        f"contracts:\n  - {order_file}, proto_paths: /abs}}\n": "must be relative",
        "contracts:\n  - {subject: a, file: charter.yaml, type: AVRO, proto_paths: [protos]}\n":
            "applies to .proto contracts only",
    }
    for text, message in cases.items():
        proto_repo.write("charter.yaml", text)
        with pytest.raises(ConfigError, match=message):
            load_config(proto_repo.root / "charter.yaml")
        result = proto_repo.charter(["check", "--against", "git:HEAD"])
        assert result.code == 2 and message.strip("'") in result.stderr


def test_transitive_level_compiles_each_version_with_its_own_imports(proto_repo: Repo) -> None:
    """Against git, every commit's order.proto is compiled with money.proto as it was then:
    the older orders name `Money`, which the newest money.proto no longer has."""
    proto_repo.write("protos/shop/money.proto", MONEY.replace("Money", "Price"))
    proto_repo.write("protos/shop/order.proto", ORDER_V2.replace("Money total", "Price total"))
    proto_repo.commit("v3: Money is Price")
    proto_repo.write(
        "charter.yaml",
        CONFIG.replace("compatibility: BACKWARD", "compatibility: BACKWARD_TRANSITIVE"),
    )
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1, report
    order = _contract(report, "orders-value")
    compared = order["compared_with"]
    assert isinstance(compared, list) and len(compared) == 3
    renamed = {
        f["against"]
        for f in order["findings"]
        if f["rule"] == "FIELD_NAMED_TYPE_CHANGED"
    }
    assert renamed == set(compared[:2])  # v1 and v2; v3 is the working tree's text


def test_a_glob_of_proto_files_declares_each_and_imports_use_the_declared_subject(
    proto_repo: Repo,
) -> None:
    proto_repo.write(
        "charter.yaml",
        "defaults:\n  proto_paths: [protos]\n"
        "contracts:\n  - glob: 'protos/shop/*.proto'\n    subject: '{stem}-value'\n",
    )
    proto_repo.write("protos/shop/money.proto", MONEY.replace("int64 units", "string units"))
    code, report = proto_repo.check_json("--against", "git:HEAD")
    assert code == 1
    statuses = {c["subject"]: c["status"] for c in report["contracts"]}
    assert statuses == {"money-value": "breaking", "order-value": "compatible"}
