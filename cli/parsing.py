"""Parsing contracts' schemas and the schemas they reference.

A referenced subject declared in charter.yaml is read from its file (as it was at the commit
being read, for git history); a version pinned in charter.yaml, or a subject charter.yaml does
not declare, comes from the registry. A `.proto` contract's local imports are references too
(`cli.proto_imports`): to the contract declared for the imported file, else to a subject named
by the import path, read from the file under the contract's import roots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from cli.config import Config, Contract
from cli.errors import SourceError

if TYPE_CHECKING:
    from compat import Reference, Resolver, Schema, SchemaSource
    from sdk.registry import RegisteredSchema, Registry

__all__ = ["ContractParser", "TextReader", "stored_source", "working_tree"]

# A contract's text somewhere (at a git commit, say); None: read its file in the working tree.
TextReader = Callable[[Contract], str | None]


def working_tree(contract: Contract) -> None:
    """The reader of every contract's file as it is now, in the working tree."""
    return None


def stored_source(stored: RegisteredSchema) -> SchemaSource:
    """A schema as the registry holds it, ready for `compat.parse`."""
    from compat import Reference, SchemaSource, SchemaType

    return SchemaSource(
        stored.schema,
        SchemaType(stored.schema_type),
        tuple(Reference(r.name, r.subject, r.version) for r in stored.references),
    )


class ContractParser:
    """Turns a contract's text into a `compat.Schema`, resolving its references."""

    def __init__(self, config: Config, registry: Registry | None = None) -> None:
        self.config = config
        self.registry = registry
        # Files that local `.proto` imports found and charter.yaml does not declare, by the
        # subject they are referenced under (their import path).
        self.imported: dict[str, Contract] = {}

    def local_text(self, contract: Contract) -> str:
        try:
            return contract.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {contract.file}: {exc}") from None

    def source(
        self, contract: Contract, text: str, read: TextReader = working_tree
    ) -> SchemaSource:
        """The contract's text with its references: the declared ones, and for `.proto`
        contracts the local imports (looked for as `read` sees the files)."""
        from compat import Reference, SchemaSource, SchemaType

        refs = [Reference(r.name, r.subject, r.version or -1) for r in contract.references]
        if contract.schema_type == "PROTOBUF":
            refs += self._import_references(contract, text, read, {r.name for r in refs})
        return SchemaSource(text, SchemaType(contract.schema_type), tuple(refs))

    def _import_references(
        self, contract: Contract, text: str, read: TextReader, declared: set[str]
    ) -> list[Reference]:
        from cli.proto_imports import find_import, import_contract, imports_of
        from compat import Reference
        from compat.protobuf.wellknown import is_well_known

        def exists(file: str) -> bool:
            probe = replace(contract, path=self.config.root / file, file=file)
            return read(probe) is not None or probe.path.is_file()

        refs = []
        for name in imports_of(text):
            if name in declared or is_well_known(name):
                continue
            found = find_import(name, contract, exists)
            if found is None:
                continue  # protoc reports the import it cannot find
            target = import_contract(found, contract, self.config)
            if self.config.contract(target.subject) is None:
                self.imported[target.subject] = target
            refs.append(Reference(name, target.subject, -1))
        return refs

    def unresolved_imports(self, contract: Contract, text: str) -> list[str]:
        """The imports of a `.proto` contract that no reference, well-known type or file under
        its import roots (in the working tree) provides."""
        from cli.proto_imports import find_import, imports_of
        from compat.protobuf.wellknown import is_well_known

        declared = {r.name for r in contract.references}
        return [
            name
            for name in imports_of(text)
            if name not in declared
            and not is_well_known(name)
            and find_import(name, contract, lambda f: (self.config.root / f).is_file()) is None
        ]

    def dependencies(self, contract: Contract) -> list[Contract]:
        """The local contracts (declared or imported) that `contract`'s working-tree file
        references, each once."""
        try:
            text = self.local_text(contract)
        except SourceError:
            text = ""  # reported when the contract itself is prepared
        found: dict[str, Contract] = {}
        for ref in self.source(contract, text).references:
            target = self.local_contract(ref.subject)
            if target is not None:
                found.setdefault(target.subject, target)
        return list(found.values())

    def local_contract(self, subject: str) -> Contract | None:
        """The declared contract, or the imported file, that holds `subject`."""
        return self.config.contract(subject) or self.imported.get(subject)

    def parse(self, source: SchemaSource, read: TextReader) -> Schema:
        """Raises `compat.SchemaParseError` for an invalid schema."""
        import compat

        return compat.parse(source, self.resolver(read))

    def resolver(self, read: TextReader) -> Resolver:
        """References: a local contract's file (read by `read`) or the registry's version."""

        def resolve(ref: Reference) -> SchemaSource:
            contract = self.local_contract(ref.subject)
            pinned = ref.version > 0
            if contract is not None and not (pinned and self.registry is not None):
                text = read(contract)
                if text is None:
                    text = self.local_text(contract)
                return self.source(contract, text, read)
            if self.registry is None:
                raise LookupError(
                    f"subject {ref.subject!r} is neither a contract in charter.yaml nor "
                    "available without a registry"
                )
            if pinned:
                return stored_source(self.registry.get_version(ref.subject, ref.version))
            return stored_source(self.registry.latest(ref.subject))

        return resolve
