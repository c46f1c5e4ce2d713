"""`.proto` contracts with `charter register` and `charter check --against registry`, against a
real `charter serve`; local imports become reference subjects named by their import path, as
confluent-kafka's ProtobufSerializer names them."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from cli.report.json_report import SCHEMA
from tests.cli.conftest import Repo
from tests.cli.test_protobuf import MONEY, ORDER_V1, ORDER_V2
from tests.sdk.server import needs_registry

pytestmark = needs_registry


def _files(package: str) -> tuple[str, str]:
    """The money and order files of package `package` (its own subjects in the registry)."""
    money = MONEY.replace("package shop;", f"package {package};")
    order = ORDER_V1.replace("package shop;", f"package {package};").replace(
        '"shop/money.proto"', f'"{package}/money.proto"'
    )
    return money, order


_PACKAGES = itertools.count(1)


@pytest.fixture
def package() -> str:
    """A Protobuf package, and so subjects, of the test's own in the module's registry."""
    return f"charter_cli_{next(_PACKAGES)}"


@pytest.fixture
def proto_repo(tmp_path: Path, package: str) -> Repo:
    """A repository declaring `<package>-value` from protos/<package>/order.proto, which
    imports <package>/money.proto."""
    repo = Repo(tmp_path / "repo")
    repo.root.mkdir()
    repo.git("init", "-q", "-b", "main")
    money, order = _files(package)
    repo.write(f"protos/{package}/money.proto", money)
    repo.write(f"protos/{package}/order.proto", order)
    repo.write(
        "charter.yaml",
        "defaults:\n  compatibility: BACKWARD\n  proto_paths: [protos]\ncontracts:\n"
        f"  - subject: {package}-value\n    file: protos/{package}/order.proto\n",
    )
    return repo


def _run(repo: Repo, url: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = repo.charter([*args, "--format", "json"], env={"CHARTER_REGISTRY_URL": url})
    assert result.stdout, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    return result.code, report


def _versions(url: str, subject: str) -> list[int]:
    response = httpx.get(f"{url}/subjects/{subject.replace('/', '%2F')}/versions")
    return list(response.json()) if response.status_code == 200 else []


def _stored(url: str, subject: str, version: int) -> dict[str, Any]:
    response = httpx.get(f"{url}/subjects/{subject.replace('/', '%2F')}/versions/{version}")
    assert response.status_code == 200, response.text
    stored: dict[str, Any] = response.json()
    return stored


def _line_column(text: str, needle: str) -> tuple[int, int]:
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def test_register_creates_reference_subjects_for_local_imports(
    proto_repo: Repo, registry_url: str, package: str
) -> None:
    money_subject, order_subject = f"{package}/money.proto", f"{package}-value"

    code, dry = _run(proto_repo, registry_url, "register", "--dry-run")
    assert code == 0, dry
    assert [(c["subject"], c["status"]) for c in dry["contracts"]] == [
        (money_subject, "would-register"),
        (order_subject, "would-register"),
    ]
    assert _versions(registry_url, money_subject) == []

    code, first = _run(proto_repo, registry_url, "register")
    assert code == 0, first
    assert [(c["subject"], c["status"]) for c in first["contracts"]] == [
        (money_subject, "registered"),
        (order_subject, "registered"),
    ]
    assert _versions(registry_url, money_subject) == [1]
    stored = _stored(registry_url, order_subject, 1)
    assert stored["schemaType"] == "PROTOBUF"
    # The import path is the reference's name and subject; the well-known import is none.
    assert stored["references"] == [
        {"name": money_subject, "subject": money_subject, "version": 1}
    ]

    code, again = _run(proto_repo, registry_url, "register")
    assert code == 0
    assert {c["status"] for c in again["contracts"]} == {"unchanged"}
    assert [c["id"] for c in again["contracts"]] == [c["id"] for c in first["contracts"]]

    code, report = _run(proto_repo, registry_url, "check")
    assert code == 0, report
    assert {c["status"] for c in report["contracts"]} == {"compatible"}
    assert {tuple(c["compared_with"]) for c in report["contracts"]} == {("version 1",)}


def test_register_writes_every_output_format(
    proto_repo: Repo, registry_url: str, package: str
) -> None:
    env = {"CHARTER_REGISTRY_URL": registry_url}
    runs = {
        fmt: proto_repo.charter(["register", "--dry-run", "--format", fmt], env=env)
        for fmt in ("text", "json", "github", "sarif", "junit", "markdown")
    }
    assert {fmt: r.code for fmt, r in runs.items()} == dict.fromkeys(runs, 0)
    report = json.loads(runs["json"].stdout)
    jsonschema.validate(report, SCHEMA)
    assert [c["subject"] for c in report["contracts"]] == [
        f"{package}/money.proto",
        f"{package}-value",
    ]
    assert json.loads(runs["sarif"].stdout)["runs"][0]["results"] == []
    cases = ET.fromstring(runs["junit"].stdout).iter("testcase")
    assert [case.get("name") for case in cases] == [
        f"{package}/money.proto (protos/{package}/money.proto)",
        f"{package}-value (protos/{package}/order.proto)",
    ]
    for fmt in ("text", "markdown"):
        assert f"{package}/money.proto" in runs[fmt].stdout, fmt
    assert "2 contract(s)" in runs["github"].stdout  # annotations only for findings
    assert _versions(registry_url, f"{package}-value") == []


def test_check_against_the_registry_places_findings_and_register_refuses(
    proto_repo: Repo, registry_url: str, package: str
) -> None:
    order_file = f"protos/{package}/order.proto"
    assert _run(proto_repo, registry_url, "register")[0] == 0
    _, order = _files(package)
    broken = order.replace("int32 quantity = 2;", "string quantity = 2;")
    proto_repo.write(order_file, broken)

    code, report = _run(proto_repo, registry_url, "check", "--against", "registry")
    assert code == 1
    found = [
        (f["rule"], f["file"], f["line"], f["column"], f["against"])
        for c in report["contracts"]
        for f in c["findings"]
    ]
    assert found == [
        (
            "FIELD_SCALAR_KIND_CHANGED",
            order_file,
            *_line_column(broken, "string quantity"),
            "version 1",
        )
    ]
    github = proto_repo.charter(
        ["check", "--format", "github"], env={"CHARTER_REGISTRY_URL": registry_url}
    )
    line, column = _line_column(broken, "string quantity")
    assert f"::error file={order_file},line={line},col={column},title=FIELD_SCALAR" in (
        github.stdout
    )

    code, refused = _run(proto_repo, registry_url, "register")
    assert code == 1
    statuses = {c["subject"]: c["status"] for c in refused["contracts"]}
    assert statuses == {f"{package}/money.proto": "unchanged", f"{package}-value": "breaking"}
    assert _versions(registry_url, f"{package}-value") == [1]


def test_a_changed_import_is_checked_in_both_files_and_registered_as_a_new_version(
    proto_repo: Repo, registry_url: str, package: str
) -> None:
    money_subject, order_subject = f"{package}/money.proto", f"{package}-value"
    money_file = f"protos/{package}/money.proto"
    assert _run(proto_repo, registry_url, "register")[0] == 0
    money, order = _files(package)

    broken = money.replace("int64 units = 2;", "double units = 2;")
    proto_repo.write(money_file, broken)
    code, report = _run(proto_repo, registry_url, "check")
    assert code == 1
    by_subject = {c["subject"]: c for c in report["contracts"]}
    [money_finding] = by_subject[money_subject]["findings"]
    assert (money_finding["rule"], money_finding["line"], money_finding["column"]) == (
        "FIELD_SCALAR_KIND_CHANGED",
        *_line_column(broken, "double units"),
    )
    # The order's reference moved from version 1 to the local file: its Money is re-checked,
    # and the field using it is where the order breaks.
    order_rules = {
        (f["rule"], f["line"], f["column"]) for f in by_subject[order_subject]["findings"]
    }
    assert ("FIELD_NAMED_TYPE_CHANGED", *_line_column(order, "Money total")) in order_rules
    # What changed inside Money is placed at the import that brings Money into the order.
    imported = _line_column(order, f'import "{package}/money.proto"')
    assert ("FIELD_SCALAR_KIND_CHANGED", *imported) in order_rules

    code, refused = _run(proto_repo, registry_url, "register")
    assert code == 2  # the order is not tried once its import is refused
    statuses = {c["subject"]: c["status"] for c in refused["contracts"]}
    assert statuses == {money_subject: "breaking", order_subject: "error"}
    assert _versions(registry_url, money_subject) == [1]

    proto_repo.write(money_file, money.replace("}\n", "  string note = 3;\n}\n"))
    proto_repo.write(
        f"protos/{package}/order.proto",
        ORDER_V2.replace("package shop;", f"package {package};").replace(
            '"shop/money.proto"', f'"{package}/money.proto"'
        ),
    )
    code, report = _run(proto_repo, registry_url, "register")
    assert code == 0, report
    assert _versions(registry_url, money_subject) == [1, 2]
    assert _stored(registry_url, order_subject, 2)["references"] == [
        {"name": money_subject, "subject": money_subject, "version": 2}
    ]


def test_an_import_declared_as_a_contract_is_referenced_by_its_subject(
    proto_repo: Repo, registry_url: str, package: str
) -> None:
    config = proto_repo.root / "charter.yaml"
    proto_repo.write(
        "charter.yaml",
        config.read_text()
        + f"  - subject: {package}-money\n    file: protos/{package}/money.proto\n",
    )
    code, report = _run(proto_repo, registry_url, "register")
    assert code == 0, report
    assert [c["subject"] for c in report["contracts"]] == [f"{package}-money", f"{package}-value"]
    assert _stored(registry_url, f"{package}-value", 1)["references"] == [
        {"name": f"{package}/money.proto", "subject": f"{package}-money", "version": 1}
    ]
    assert _versions(registry_url, f"{package}/money.proto") == []


def test_confluent_serializer_finds_what_charter_registered(
    proto_repo: Repo, registry_url: str, package: str
) -> None:
    """confluent-kafka's ProtobufSerializer, auto-registering the same files, lands on the
    versions and id `charter register` created: no new version in either subject."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext
    from google.protobuf import descriptor_pool, message_factory

    from compat.protobuf.protoc import compile_file

    code, report = _run(proto_repo, registry_url, "register")
    assert code == 0, report
    registered = {c["subject"]: c["id"] for c in report["contracts"]}

    money, order = _files(package)
    compiled = compile_file(
        f"{package}/order.proto",
        {f"{package}/money.proto": money, f"{package}/order.proto": order},
    )
    pool = descriptor_pool.DescriptorPool()
    for file in compiled.values():
        pool.Add(file)
    order_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.Order"))
    client = SchemaRegistryClient({"url": registry_url})
    serializer = ProtobufSerializer(order_class, client)
    data = serializer(order_class(id="o-1"), SerializationContext(package, MessageField.VALUE))
    assert data is not None
    assert int.from_bytes(data[1:5], "big") == registered[f"{package}-value"]
    assert _versions(registry_url, f"{package}-value") == [1]
    assert _versions(registry_url, f"{package}/money.proto") == [1]
