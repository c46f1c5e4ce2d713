"""`charter.yaml`: the registry, the defaults and the contracts a repository declares.

registry: http://localhost:8081        # or CHARTER_REGISTRY_URL (which wins)
defaults:
  compatibility: BACKWARD              # used when the registry does not say otherwise
  json_policy: STRICT                  # STRICT, LENIENT or SOUND
  new_subjects: allow                  # allow or deny
  proto_paths: [protos]                # import roots of .proto contracts (default: ".")
contracts:
  - subject: orders-value
    file: schemas/order.avsc           # type inferred from .avsc / .json
    compatibility: FULL                # optional, wins over the registry's config
    references:
      - {name: com.acme.Money, subject: money-value}   # version: latest by default
  - glob: "schemas/events/*.avsc"
    subject: "{stem}-value"            # {stem}, {name}, {dir}
  - subject: payments-value
    file: protos/shop/payment.proto    # PROTOBUF; local imports resolve through proto_paths
    proto_paths: [protos, third_party] # optional, wins over defaults.proto_paths
waivers:
  - fingerprint: 3fa2c9e1d04b7a55
    reason: consumers migrated in PR 412
    expires: 2026-12-31
"""

from __future__ import annotations

import datetime as dt
import os
import string
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from cli.errors import ConfigError

if TYPE_CHECKING:
    from compat import Level, Policy

__all__ = [
    "CONFIG_NAME",
    "Config",
    "Contract",
    "ContractReference",
    "Waiver",
    "find_config",
    "load_config",
]

CONFIG_NAME = "charter.yaml"
REGISTRY_ENV = "CHARTER_REGISTRY_URL"
NEW_SUBJECT_POLICIES = ("allow", "deny")
Member = TypeVar("Member", bound=StrEnum)
TYPES_BY_SUFFIX = {".avsc": "AVRO", ".avro": "AVRO", ".json": "JSON", ".proto": "PROTOBUF"}
TYPES = ("AVRO", "JSON", "PROTOBUF")
TEMPLATE_FIELDS = {"stem", "name", "dir"}


@dataclass(frozen=True, slots=True)
class ContractReference:
    name: str
    subject: str
    version: int | None = None  # None: the latest (the local contract's file when declared)


@dataclass(frozen=True, slots=True)
class Contract:
    subject: str
    path: Path  # absolute
    file: str  # relative to the config's directory, with forward slashes
    schema_type: str
    compatibility: Level | None = None  # wins over the registry's config and the defaults
    references: tuple[ContractReference, ...] = ()
    # PROTOBUF: the import roots, relative to the config's directory with forward slashes
    # ("." for the directory itself), searched in order as protoc's --proto_path.
    proto_paths: tuple[str, ...] = (".",)


@dataclass(frozen=True, slots=True)
class Waiver:
    fingerprint: str
    reason: str
    expires: dt.date

    def live(self, today: dt.date) -> bool:
        return today <= self.expires


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    root: Path
    registry_url: str | None
    compatibility: Level  # defaults.compatibility, else BACKWARD; the registry's config wins
    json_policy: Policy  # defaults.json_policy, else STRICT; the registry's policy wins
    new_subjects: str
    contracts: tuple[Contract, ...]
    waivers: tuple[Waiver, ...] = field(default=())

    def contract(self, subject: str) -> Contract | None:
        return next((c for c in self.contracts if c.subject == subject), None)

    def contract_for_file(self, file: str) -> Contract | None:
        """The contract declared for `file` (relative to the config's directory)."""
        return next((c for c in self.contracts if c.file == file), None)

    def waiver(self, fingerprint: str) -> Waiver | None:
        return next((w for w in self.waivers if w.fingerprint == fingerprint), None)


def find_config(start: Path) -> Path:
    """The nearest charter.yaml at or above `start`."""
    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} found in {start} or any parent directory; create one or pass --config"
    )


def load_config(path: Path | None = None, *, cwd: Path | None = None) -> Config:
    """Read, validate and expand a charter.yaml (globs resolved, types inferred, levels and
    policies turned into compat's `Level` and `Policy`)."""
    import yaml

    from compat import Level, Policy

    config_path = path.resolve() if path is not None else find_config(cwd or Path.cwd())
    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {config_path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path.name} is not valid YAML: {exc}") from None
    if data is None:
        data = {}
    where = config_path.name
    _mapping(data, where)
    _known(data, {"registry", "defaults", "contracts", "waivers"}, where)
    root = config_path.parent

    registry = os.environ.get(REGISTRY_ENV) or _optional_str(data, "registry", where)
    defaults = data.get("defaults") or {}
    _mapping(defaults, f"{where}: defaults")
    _known(
        defaults,
        {"compatibility", "json_policy", "new_subjects", "proto_paths"},
        f"{where}: defaults",
    )
    compatibility = _member(defaults, "compatibility", Level, f"{where}: defaults")
    policy = _member(defaults, "json_policy", Policy, f"{where}: defaults")
    new_subjects = _choice(defaults, "new_subjects", NEW_SUBJECT_POLICIES, f"{where}: defaults")
    proto_paths = _proto_paths(defaults.get("proto_paths"), root, f"{where}: defaults") or (".",)

    raw_contracts = data.get("contracts")
    if not isinstance(raw_contracts, list) or not raw_contracts:
        raise ConfigError(f"{where}: 'contracts' must be a non-empty list")
    contracts: list[Contract] = []
    for index, raw in enumerate(raw_contracts):
        contracts.extend(_contracts(raw, root, proto_paths, f"{where}: contracts[{index}]"))
    seen: dict[str, str] = {}
    for contract in contracts:
        if contract.subject in seen:
            raise ConfigError(
                f"{where}: subject {contract.subject!r} is declared twice "
                f"({seen[contract.subject]} and {contract.file})"
            )
        seen[contract.subject] = contract.file

    raw_waivers = data.get("waivers") or []
    if not isinstance(raw_waivers, list):
        raise ConfigError(f"{where}: 'waivers' must be a list")
    waivers = tuple(_waiver(w, f"{where}: waivers[{i}]") for i, w in enumerate(raw_waivers))
    return Config(
        path=config_path,
        root=root,
        registry_url=registry.rstrip("/") if registry else None,
        compatibility=compatibility or Level.BACKWARD,
        json_policy=policy or Policy.STRICT,
        new_subjects=new_subjects or "allow",
        contracts=tuple(contracts),
        waivers=waivers,
    )


def _contracts(
    raw: Any, root: Path, default_proto_paths: tuple[str, ...], where: str
) -> list[Contract]:
    from compat import Level

    _mapping(raw, where)
    _known(
        raw,
        {"subject", "file", "glob", "type", "compatibility", "references", "proto_paths"},
        where,
    )
    subject = _optional_str(raw, "subject", where)
    if subject is None:
        raise ConfigError(f"{where}: 'subject' is required")
    file = _optional_str(raw, "file", where)
    pattern = _optional_str(raw, "glob", where)
    if (file is None) == (pattern is None):
        raise ConfigError(f"{where}: give exactly one of 'file' or 'glob'")
    schema_type = _choice(raw, "type", TYPES, where, upper=True)
    level = _member(raw, "compatibility", Level, where)
    references = _references(raw.get("references"), f"{where}: references")
    proto_paths = _proto_paths(raw.get("proto_paths"), root, where)

    if file is not None:
        paths = [root / file]
        if not paths[0].is_file():
            raise ConfigError(f"{where}: file {file!r} does not exist")
    else:
        assert pattern is not None
        fields = {name for _, name, _, _ in string.Formatter().parse(subject) if name}
        if not fields or not fields <= TEMPLATE_FIELDS:
            raise ConfigError(
                f"{where}: a glob needs a subject template using {{stem}}, {{name}} or {{dir}}, "
                f"got {subject!r}"
            )
        paths = sorted(p for p in root.glob(pattern) if p.is_file())
        if not paths:
            raise ConfigError(f"{where}: glob {pattern!r} matches no file")

    result = []
    for path in paths:
        relative = path.relative_to(root).as_posix()
        kind = schema_type or _infer_type(path, where)
        name = subject
        if pattern is not None:
            parent = path.parent.relative_to(root).as_posix()
            name = subject.format(stem=_stem(path), name=path.name, dir=parent)
        if proto_paths and kind != "PROTOBUF":
            raise ConfigError(f"{where}: 'proto_paths' applies to .proto contracts only")
        roots = proto_paths or default_proto_paths
        result.append(Contract(name, path, relative, kind, level, references, roots))
    return result


def _stem(path: Path) -> str:
    """`order.placed.schema.json` → `order.placed`; `user.avsc` → `user`."""
    name = path.name
    for suffix in (".schema.json", ".avsc", ".avro", ".json", ".proto"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _infer_type(path: Path, where: str) -> str:
    kind = TYPES_BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"{where}: cannot infer the schema type of {path.name!r} (not .avsc, .json or "
            ".proto); set 'type: AVRO', 'type: JSON' or 'type: PROTOBUF'"
        )
    return kind


def _proto_paths(raw: Any, root: Path, where: str) -> tuple[str, ...]:
    """Import roots: existing directories, relative to `root`, as forward-slash paths."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: 'proto_paths' must be a non-empty list of directories")
    result = []
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{where}: 'proto_paths' entries must be non-empty strings")
        relative = PurePosixPath(item.strip().replace("\\", "/"))
        if relative.is_absolute():
            raise ConfigError(
                f"{where}: proto_paths entry {item!r} must be relative to {CONFIG_NAME}'s directory"
            )
        if not (root / relative).is_dir():
            raise ConfigError(f"{where}: proto_paths entry {item!r} is not a directory")
        result.append(relative.as_posix())
    return tuple(result)


def _references(raw: Any, where: str) -> tuple[ContractReference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: must be a list")
    result = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        _mapping(item, at)
        _known(item, {"name", "subject", "version"}, at)
        name = _optional_str(item, "name", at)
        subject = _optional_str(item, "subject", at)
        if name is None or subject is None:
            raise ConfigError(f"{at}: 'name' and 'subject' are required")
        version = item.get("version")
        if version in (None, "latest", -1):
            version = None
        elif not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ConfigError(f"{at}: 'version' must be a positive integer or 'latest'")
        result.append(ContractReference(name, subject, version))
    return tuple(result)


def _waiver(raw: Any, where: str) -> Waiver:
    _mapping(raw, where)
    _known(raw, {"fingerprint", "reason", "expires"}, where)
    if isinstance(raw.get("fingerprint"), int | float):
        raise ConfigError(f"{where}: quote the fingerprint; YAML read it as a number")
    fingerprint = _optional_str(raw, "fingerprint", where)
    reason = _optional_str(raw, "reason", where)
    expires = raw.get("expires")
    if not fingerprint or not reason:
        raise ConfigError(f"{where}: 'fingerprint' and 'reason' are required")
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise ConfigError(f"{where}: 'expires' must be a date (YYYY-MM-DD)") from None
    if not isinstance(expires, dt.date):
        raise ConfigError(f"{where}: 'expires' is required, a date (YYYY-MM-DD)")
    return Waiver(fingerprint, reason, expires)


def _mapping(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")


def _known(value: dict[str, Any], keys: set[str], where: str) -> None:
    unknown = sorted(set(map(str, value)) - keys)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; expected one of {', '.join(sorted(keys))}"
        )


def _optional_str(value: dict[str, Any], key: str, where: str) -> str | None:
    item = value.get(key)
    if item is None:
        return None
    if not isinstance(item, str) or not item.strip():
        raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return item.strip()


def _choice(
    value: dict[str, Any], key: str, choices: tuple[str, ...], where: str, *, upper: bool = False
) -> str | None:
    item = _optional_str(value, key, where)
    if item is None:
        return None
    normal = item.upper() if upper else item.lower()
    if normal not in choices:
        raise ConfigError(f"{where}: {key} {item!r} is not one of {', '.join(choices)}")
    return normal


def _member(value: dict[str, Any], key: str, kind: type[Member], where: str) -> Member | None:
    """An optional enum value given in any case, e.g. a compatibility level."""
    item = _optional_str(value, key, where)
    if item is None:
        return None
    try:
        return kind(item.upper())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ConfigError(f"{where}: {key} {item!r} is not one of {choices}") from None
