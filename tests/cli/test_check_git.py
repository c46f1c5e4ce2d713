"""`charter check --against git:REF` over a real repository history, both formats."""

from __future__ import annotations

from tests.cli.conftest import ORDER_V3, USER_V1, USER_V3, Repo


def test_compatible_history_passes(repo: Repo) -> None:
    code, report = repo.check_json("--against", "git:HEAD~1")
    assert code == 0
    statuses = {c["subject"]: c["status"] for c in report["contracts"]}
    assert statuses == {"user-value": "compatible", "orders-value": "compatible"}
    assert all(c["compared_with"] == ["git:HEAD~1"] for c in report["contracts"])


def test_breaking_avro_change_reports_file_line_column_rule(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 1
    user = next(c for c in report["contracts"] if c["subject"] == "user-value")
    assert user["status"] == "breaking"
    [finding] = user["findings"]
    assert finding["rule"] == "TYPE_MISMATCH"
    assert finding["location"] == "/fields/0/type"
    assert (finding["file"], finding["line"], finding["column"]) == ("schemas/user.avsc", 5, 20)
    assert finding["direction"] == "BACKWARD" and finding["against"] == "git:HEAD"
    assert finding["hint"]
    orders = next(c for c in report["contracts"] if c["subject"] == "orders-value")
    assert orders["status"] == "compatible"


def test_breaking_json_schema_change(repo: Repo) -> None:
    repo.write("schemas/order.json", ORDER_V3)
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 1
    orders = next(c for c in report["contracts"] if c["subject"] == "orders-value")
    [finding] = orders["findings"]
    assert finding["rule"] == "TYPE_CHANGED"
    assert (finding["line"], finding["column"]) == (5, 5)


def test_committed_break_is_found_against_an_older_ref(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    repo.commit("v3: breaking")
    assert repo.check_json("--against", "git:HEAD")[0] == 0
    code, report = repo.check_json("--against", "git:HEAD~1")
    assert code == 1
    assert {f["rule"] for c in report["contracts"] for f in c["findings"]} == {"TYPE_MISMATCH"}


def test_fingerprint_is_stable_across_refs_and_line_moves(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    first = repo.check_json("--against", "git:HEAD")[1]
    repo.write("schemas/user.avsc", "\n\n" + USER_V3)
    second = repo.check_json("--against", "git:HEAD~1")[1]
    [a] = [f for c in first["contracts"] for f in c["findings"]]
    [b] = [f for c in second["contracts"] for f in c["findings"]]
    assert a["fingerprint"] == b["fingerprint"]
    assert b["line"] == a["line"] + 2


def test_full_level_reports_both_directions(repo: Repo) -> None:
    repo.write(
        "charter.yaml",
        repo.root.joinpath("charter.yaml")
        .read_text()
        .replace("compatibility: BACKWARD", "compatibility: FULL"),
    )
    repo.write("schemas/user.avsc", USER_V1)  # drops email, which had a default
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 0, report
    repo.write("schemas/user.avsc", USER_V3)
    code, report = repo.check_json("--against", "git:HEAD")
    directions = {f["direction"] for c in report["contracts"] for f in c["findings"]}
    assert code == 1 and directions == {"BACKWARD", "FORWARD"}


def test_new_subject_allowed_is_reported_not_silent(repo: Repo) -> None:
    repo.write("schemas/payment.avsc", '{"type": "record", "name": "P", "fields": []}')
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 0
    payment = next(c for c in report["contracts"] if c["subject"] == "payment-value")
    assert payment["status"] == "new"
    text = repo.charter(["check", "--against", "git:HEAD"]).stdout
    assert "NEW payment-value" in text


def test_new_subject_denied_fails(repo: Repo) -> None:
    repo.write(
        "charter.yaml",
        repo.root.joinpath("charter.yaml")
        .read_text()
        .replace("new_subjects: allow", "new_subjects: deny"),
    )
    repo.write("schemas/payment.avsc", '{"type": "record", "name": "P", "fields": []}')
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 1
    payment = next(c for c in report["contracts"] if c["subject"] == "payment-value")
    assert payment["status"] == "denied"
    assert [f["rule"] for f in payment["findings"]] == ["NEW_SUBJECT_DENIED"]


def test_invalid_schema_exits_2_with_its_location(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V1.replace('"type": "int"', '"type": "integer"'))
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 2
    user = next(c for c in report["contracts"] if c["subject"] == "user-value")
    assert user["status"] == "invalid"
    [finding] = user["findings"]
    assert finding["rule"] == "SCHEMA_INVALID"
    assert (finding["line"], finding["column"]) == (6, 21)


def test_unknown_ref_and_bad_against_exit_2(repo: Repo) -> None:
    result = repo.charter(["check", "--against", "git:no-such-branch"])
    assert result.code == 2 and "no-such-branch" in result.stderr
    result = repo.charter(["check", "--against", "svn:1"])
    assert result.code == 2 and "git:REF" in result.stderr
    result = repo.charter(["check"])
    assert result.code == 2 and "no registry configured" in result.stderr


def test_subject_filter(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    code, report = repo.check_json("--against", "git:HEAD", "--subject", "orders-value")
    assert code == 0 and [c["subject"] for c in report["contracts"]] == ["orders-value"]


def test_references_resolved_from_local_contracts_and_the_ref(repo: Repo) -> None:
    repo.write(
        "schemas/money.avsc",
        '{"type": "record", "name": "Money", "fields": [{"name": "cents", "type": "long"}]}',
    )
    repo.write(
        "refs/invoice.avsc",
        '{"type": "record", "name": "Invoice", "fields": [{"name": "amount", "type": "Money"}]}',
    )
    repo.write(
        "charter.yaml",
        repo.root.joinpath("charter.yaml").read_text()
        + "  - subject: invoice-value\n    file: refs/invoice.avsc\n"
        "    references: [{name: Money, subject: money-value}]\n",
    )
    repo.commit("money and invoice")
    assert repo.check_json("--against", "git:HEAD")[0] == 0
    repo.write(
        "schemas/money.avsc",
        '{"type": "record", "name": "Money", "fields": [{"name": "cents", "type": "string"}]}',
    )
    code, report = repo.check_json("--against", "git:HEAD")
    failing = {c["subject"] for c in report["contracts"] if c["status"] == "breaking"}
    assert code == 1 and failing == {"money-value", "invoice-value"}


def test_transitive_level_compares_every_version_in_the_refs_history(repo: Repo) -> None:
    without_age = USER_V1.replace(
        '{"name": "age", "type": "int"}', '{"name": "email", "type": "string", "default": ""}'
    )
    repo.write("schemas/user.avsc", without_age)
    repo.commit("v3: age dropped")
    commits = repo.git("log", "--format=%h", "--reverse", "--", "schemas/user.avsc").split()
    # age comes back as a string: fine against the latest version, not against the older ones.
    repo.write(
        "schemas/user.avsc",
        without_age.replace(
            "}\n  ]", '},\n    {"name": "age", "type": "string", "default": ""}\n  ]'
        ),
    )
    assert repo.check_json("--against", "git:HEAD")[0] == 0
    config = repo.root.joinpath("charter.yaml").read_text()
    repo.write("charter.yaml", config.replace("BACKWARD", "BACKWARD_TRANSITIVE"))
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 1
    user = next(c for c in report["contracts"] if c["subject"] == "user-value")
    assert len(user["compared_with"]) == 3
    assert user["compared_with"] == [f"git:{c}" for c in commits]
    found = {(f["rule"], f["against"], f["line"], f["column"]) for f in user["findings"]}
    # age (line 7) against both versions with an int age; email (line 6) only against the
    # second, whose email was nullable.
    assert found == {
        ("TYPE_MISMATCH", f"git:{commits[0]}", 7, 21),
        ("TYPE_MISMATCH", f"git:{commits[1]}", 7, 21),
        ("TYPE_MISMATCH", f"git:{commits[1]}", 6, 23),
    }
