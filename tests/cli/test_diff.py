"""`charter diff OLD NEW`: every change with its verdict in each direction."""

from __future__ import annotations

import json

from tests.cli.conftest import ORDER_V1, ORDER_V2, USER_V1, USER_V2, USER_V3, Repo


def test_avro_changes_with_verdicts(repo: Repo) -> None:
    repo.write("old.avsc", USER_V1)
    repo.write("new.avsc", USER_V3)
    result = repo.charter(["diff", str(repo.root / "old.avsc"), str(repo.root / "new.avsc"),
                           "--format", "json"])  # fmt: skip
    assert result.code == 1
    document = json.loads(result.stdout)
    changes = {c["pointer"]: c for c in document["changes"]}
    assert set(changes) == {"/fields/0/type", "/fields/2"}
    assert changes["/fields/0/type"]["kind"] == "changed"
    assert changes["/fields/0/type"]["backward"] == ["TYPE_MISMATCH"]
    assert changes["/fields/0/type"]["forward"] == ["TYPE_MISMATCH"]
    assert changes["/fields/2"] == {
        "kind": "added",
        "pointer": "/fields/2",
        "old": None,
        "new": {"name": "email", "type": ["null", "string"], "default": None},
        "backward": [],
        "forward": [],
    }
    assert document["backward_compatible"] is False
    first = document["findings"][0]
    assert (first["line"], first["column"]) == (5, 20)


def test_compatible_one_way_only(repo: Repo) -> None:
    repo.write("a.json", ORDER_V1)
    repo.write("b.json", ORDER_V2)
    result = repo.charter(["diff", str(repo.root / "a.json"), str(repo.root / "b.json")])
    assert result.code == 1
    assert "added    /properties/note" in result.stdout
    assert "BACKWARD: ok   FORWARD: breaks PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL" in result.stdout
    assert "BACKWARD (new reads old): compatible; FORWARD (old reads new): BREAKING" in (
        result.stdout
    )


def test_fields_matched_by_name_not_position(repo: Repo) -> None:
    repo.write("a.avsc", USER_V2)
    reordered = USER_V2.replace(
        '{"name": "id", "type": "string"},\n    {"name": "age", "type": "int"}',
        '{"name": "age", "type": "int"},\n    {"name": "id", "type": "string"}',
    )
    repo.write("b.avsc", reordered)
    result = repo.charter(["diff", str(repo.root / "a.avsc"), str(repo.root / "b.avsc")])
    assert result.code == 0
    assert result.stdout.startswith("no changes")


def test_diff_errors_exit_2(repo: Repo) -> None:
    repo.write("bad.avsc", '{"type": "nope"}')
    repo.write("x.txt", "{}")
    good = str(repo.root / "schemas/user.avsc")
    result = repo.charter(["diff", good, str(repo.root / "bad.avsc")])
    assert result.code == 2 and "not a valid AVRO schema" in result.stderr
    result = repo.charter(["diff", good, str(repo.root / "x.txt")])
    assert result.code == 2 and "--type" in result.stderr
    result = repo.charter(["diff", good, str(repo.root / "missing.avsc")])
    assert result.code == 2


ORDER_PROTO = """syntax = "proto3";
package shop;
import "common/money.proto";
import "google/protobuf/timestamp.proto";

message Order {
  string id = 1;
  int32 quantity = 2;
  common.Money price = 3;
  string note = 4;
  google.protobuf.Timestamp at = 5;
}
"""
MONEY_PROTO = """syntax = "proto3";
package common;
message Money { int64 units = 1; string currency = 2; }
"""


def test_proto_files_are_diffed_as_protobuf(repo: Repo) -> None:
    repo.write("common/money.proto", MONEY_PROTO)
    repo.write("old.proto", ORDER_PROTO)
    repo.write("new.proto", ORDER_PROTO.replace("int32 quantity", "string quantity")
               .replace("  string note = 4;\n", "")
               .replace("Timestamp at = 5;", "Timestamp placed_at = 5;\n  string channel = 6;"))
    result = repo.charter(["diff", str(repo.root / "old.proto"), str(repo.root / "new.proto"),
                           "--format", "json"])  # fmt: skip
    assert result.code == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["schema_type"] == "PROTOBUF"
    assert [(c["kind"], c["pointer"], c["old"], c["new"], c["backward"], c["forward"])
            for c in document["changes"]] == [
        ("changed", "#/Order/quantity", "int32", "string",
         ["FIELD_SCALAR_KIND_CHANGED"], ["FIELD_SCALAR_KIND_CHANGED"]),
        ("removed", "#/Order/note", "note", None, [], []),
        ("changed", "#/Order/placed_at", "at", "placed_at", [], []),
        ("added", "#/Order/channel", None, "channel", [], []),
    ]
    # Warnings are listed once (not once per direction) and do not break.
    found = [(f["rule"], f["severity"], f["line"], f["column"]) for f in document["findings"]]
    assert sorted(found) == sorted([
        ("FIELD_SCALAR_KIND_CHANGED", "error", 8, 3),
        ("FIELD_SCALAR_KIND_CHANGED", "error", 8, 3),
        ("FIELD_NAME_CHANGED", "warning", 10, 3),
        ("FIELD_NUMBER_NOT_RESERVED", "warning", 6, 1),
    ])

    repo.write("renamed.proto", ORDER_PROTO.replace("Timestamp at = 5;", "Timestamp when = 5;"))
    result = repo.charter(["diff", str(repo.root / "old.proto"), str(repo.root / "renamed.proto")])
    assert result.code == 0, result.stdout
    assert "changed  #/Order/when  \"at\" → \"when\"" in result.stdout
    assert "renamed.proto:11:3: warning BACKWARD FIELD_NAME_CHANGED" in result.stdout
    assert "FULL: compatible" in result.stdout


def test_a_changed_imported_file_is_compared_again(repo: Repo) -> None:
    repo.write("v1/common/money.proto", MONEY_PROTO)
    repo.write("v1/order.proto", ORDER_PROTO)
    repo.write("v2/common/money.proto", MONEY_PROTO.replace("int64 units", "string units"))
    repo.write("v2/order.proto", ORDER_PROTO)
    result = repo.charter(["diff", str(repo.root / "v1/order.proto"),
                           str(repo.root / "v2/order.proto"), "--format", "json"])  # fmt: skip
    assert result.code == 1, result.stderr
    breaking = {c["pointer"]: c["backward"] for c in json.loads(result.stdout)["changes"]}
    assert breaking == {"#/Money/units": ["FIELD_SCALAR_KIND_CHANGED"],
                        "#/Order/price": ["FIELD_NAMED_TYPE_CHANGED"]}  # fmt: skip
    same = repo.charter(["diff", str(repo.root / "v1/order.proto"),
                         str(repo.root / "v1/order.proto")])  # fmt: skip
    assert (same.code, same.stdout.splitlines()[0]) == (0, "no changes")


def test_an_invalid_proto_file_exits_2(repo: Repo) -> None:
    repo.write("old.proto", ORDER_PROTO)
    repo.write("bad.proto", 'syntax = "proto3";\nmessage Order { strin id = 1; }\n')
    result = repo.charter(["diff", str(repo.root / "old.proto"), str(repo.root / "bad.proto")])
    assert result.code == 2  # old.proto's import is not beside it
    assert "old.proto is not a valid PROTOBUF schema" in result.stderr
    assert 'line 3, column 1: Import "common/money.proto" was not found' in result.stderr
    repo.write("common/money.proto", MONEY_PROTO)
    result = repo.charter(["diff", str(repo.root / "old.proto"), str(repo.root / "bad.proto")])
    assert result.code == 2
    assert "bad.proto is not a valid PROTOBUF schema" in result.stderr
    assert "line 2, column 17" in result.stderr
