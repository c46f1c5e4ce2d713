"""charter.yaml: discovery, globs with subject templates, type inference and clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cli.config import load_config
from cli.errors import ConfigError
from tests.cli.conftest import Repo


def test_found_by_walking_up_and_globs_expanded(repo: Repo) -> None:
    nested = repo.root / "schemas" / "deeper"
    nested.mkdir()
    config = load_config(cwd=nested)
    assert config.path == repo.root / "charter.yaml"
    by_subject = {c.subject: c for c in config.contracts}
    assert set(by_subject) == {"user-value", "orders-value"}
    assert by_subject["user-value"].schema_type == "AVRO"
    assert by_subject["user-value"].file == "schemas/user.avsc"
    assert by_subject["orders-value"].schema_type == "JSON"
    assert config.new_subjects == "allow" and config.compatibility == "BACKWARD"


def test_registry_url_from_environment_wins(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write(
        "charter.yaml",
        "registry: http://file:1/\n" + repo.root.joinpath("charter.yaml").read_text(),
    )
    assert load_config(repo.root / "charter.yaml").registry_url == "http://file:1"
    monkeypatch.setenv("CHARTER_REGISTRY_URL", "http://env:2")
    assert load_config(repo.root / "charter.yaml").registry_url == "http://env:2"


def test_references_levels_and_waivers_parsed(tmp_path: Path) -> None:
    (tmp_path / "a.avsc").write_text('"string"')
    (tmp_path / "b.schema").write_text("{}")
    (tmp_path / "charter.yaml").write_text(
        "contracts:\n"
        "  - {subject: a, file: a.avsc, compatibility: full_transitive}\n"
        "  - subject: b\n    file: b.schema\n    type: json\n"
        "    references: [{name: a.avsc, subject: a}, {name: x, subject: x, version: 3}]\n"
        "waivers:\n  - {fingerprint: abc, reason: migrated, expires: 2030-01-31}\n"
    )
    config = load_config(tmp_path / "charter.yaml")
    a, b = config.contracts
    assert a.compatibility == "FULL_TRANSITIVE"
    assert b.schema_type == "JSON"
    assert [(r.name, r.subject, r.version) for r in b.references] == [
        ("a.avsc", "a", None),
        ("x", "x", 3),
    ]
    assert config.waivers[0].expires == dt.date(2030, 1, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contracts: []\n", "'contracts' must be a non-empty list"),
        ("contracts:\n  - {subject: s, file: missing.avsc}\n", "does not exist"),
        ("contracts:\n  - {subject: s, file: a.avsc, compatibility: SOMETIMES}\n", "SOMETIMES"),
        ("contracts:\n  - {subject: s, file: a.avsc, colour: red}\n", "unknown key 'colour'"),
        ("contracts:\n  - {subject: s, glob: '*.avsc'}\n", "subject template"),
        ("contracts:\n  - {subject: '{stem}', glob: '*.proto'}\n", "matches no file"),
        ("contracts:\n  - {subject: s, file: a.txt}\n", "cannot infer the schema type"),
        ("contracts:\n  - {file: a.avsc}\n", "'subject' is required"),
        (
            "contracts:\n  - {subject: s, file: a.avsc}\n  - {subject: s, file: a.avsc}\n",
            "declared twice",
        ),
        (
            "contracts:\n  - {subject: s, file: a.avsc}\n"
            "waivers:\n  - {fingerprint: f, reason: r}\n",
            "'expires' is required",
        ),
        ("contracts: [\n", "not valid YAML"),
        (
            "contracts:\n  - {subject: s, file: a.avsc}\n"
            "waivers:\n  - {fingerprint: 1234567890123456, reason: r, expires: 2030-01-01}\n",
            "quote the fingerprint",
        ),
    ],
)
def test_config_errors_are_clear(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "a.avsc").write_text('"string"')
    (tmp_path / "a.txt").write_text('"string"')
    (tmp_path / "charter.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "charter.yaml")
    assert expected in str(caught.value)


def test_config_error_exits_2_with_one_line(repo: Repo) -> None:
    repo.write("charter.yaml", "contracts:\n  - {subject: s, file: nope.avsc}\n")
    result = repo.charter(["check", "--against", "git:HEAD"])
    assert result.code == 2
    assert "nope.avsc" in result.stderr and "Traceback" not in result.stderr


def test_no_config_found_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "--against", "git:HEAD"])
    assert result.exit_code == 2
    assert "no charter.yaml found" in result.stderr


def test_levels_and_policies_are_compat_values_resolved_at_load(tmp_path: Path) -> None:
    from compat import Level, Policy

    (tmp_path / "a.avsc").write_text('"string"')
    (tmp_path / "charter.yaml").write_text(
        "contracts:\n  - {subject: a, file: a.avsc, compatibility: forward}\n"
        "  - {subject: b, file: a.avsc}\n"
    )
    config = load_config(tmp_path / "charter.yaml")
    assert config.compatibility is Level.BACKWARD and config.json_policy is Policy.STRICT
    a, b = config.contracts
    assert a.compatibility is Level.FORWARD and b.compatibility is None
    (tmp_path / "charter.yaml").write_text(
        "defaults: {compatibility: full_transitive, json_policy: lenient}\n"
        "contracts:\n  - {subject: a, file: a.avsc}\n"
    )
    config = load_config(tmp_path / "charter.yaml")
    assert config.compatibility is Level.FULL_TRANSITIVE and config.json_policy is Policy.LENIENT
