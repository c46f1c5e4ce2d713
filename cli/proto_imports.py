"""The imports of a `.proto` contract, found through its import roots and turned into references.

A `.proto` file names its imports by path (`import "shop/money.proto";`). For a contract, each
import that is no well-known type and no explicit `references:` entry is looked for under the
contract's `proto_paths`, in order, as protoc does. The file found becomes a reference as
Confluent's serialiser makes one: the import path is the reference's name, and its subject is
the import path too (Confluent's default reference subject name strategy) unless the file is a
contract declared in charter.yaml, whose subject it then is. An import found nowhere is left to
protoc, which reports it at its line.

Only the statement's structure is read here (comments and strings skipped, `import` followed by
a string and `;`); protoc compiles the files and reports every error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from cli.config import Config, Contract

__all__ = ["LocalImport", "find_import", "import_contract", "imports_of"]

_TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_][A-Za-z0-9_]*|.""",
    re.DOTALL,
)
_IMPORT_MODIFIERS = frozenset({"public", "weak"})


def _tokens(text: str) -> Iterator[str]:
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0].isspace() or token.startswith(("//", "/*")):
            continue
        yield token


def imports_of(text: str) -> list[str]:
    """The paths `text` imports, in order, each once."""
    tokens = list(_tokens(text))
    found: list[str] = []
    for index, token in enumerate(tokens):
        if token != "import" or (index > 0 and tokens[index - 1] not in (";", "}")):
            continue
        at = index + 1
        if at < len(tokens) and tokens[at] in _IMPORT_MODIFIERS:
            at += 1
        if at + 1 < len(tokens) and tokens[at][0] in "\"'" and tokens[at + 1] == ";":
            name = _unquote(tokens[at])
            if name not in found:
                found.append(name)
    return found


def _unquote(literal: str) -> str:
    # Import paths are plain; an escaped quote or backslash is all protoc would accept here.
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


@dataclass(frozen=True, slots=True)
class LocalImport:
    """An import found under an import root: its import path and its file."""

    name: str
    file: str  # relative to the config's directory, with forward slashes


def find_import(name: str, contract: Contract, exists: Callable[[str], bool]) -> LocalImport | None:
    """The first file under the contract's import roots that `exists` says holds `name`."""
    for root in contract.proto_paths:
        file = PurePosixPath(root, name).as_posix()
        if exists(file):
            return LocalImport(name, file)
    return None


def import_contract(found: LocalImport, importer: Contract, config: Config) -> Contract:
    """The contract an imported file is checked and registered as: the declared one for its
    file, else one under the import path as its subject, with the importer's import roots."""
    declared = config.contract_for_file(found.file)
    if declared is not None:
        return declared
    return replace(
        importer,
        subject=found.name,
        path=config.root / found.file,
        file=found.file,
        compatibility=None,
        references=(),
    )
