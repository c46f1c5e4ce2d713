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
