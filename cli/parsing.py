"""Parsing contracts' schemas and the schemas they reference.

A referenced subject declared in charter.yaml is read from its file (as it was at the commit
being read, for git history); a version pinned in charter.yaml, or a subject charter.yaml does
not declare, comes from the registry.
"""

from __future__ import annotations

from collections.abc import Callable
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

    def local_text(self, contract: Contract) -> str:
        try:
            return contract.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {contract.file}: {exc}") from None

    def source(self, contract: Contract, text: str) -> SchemaSource:
        from compat import Reference, SchemaSource, SchemaType

        refs = tuple(Reference(r.name, r.subject, r.version or -1) for r in contract.references)
        return SchemaSource(text, SchemaType(contract.schema_type), refs)

    def parse(self, source: SchemaSource, read: TextReader) -> Schema:
        """Raises `compat.SchemaParseError` for an invalid schema."""
        import compat

        return compat.parse(source, self.resolver(read))

    def resolver(self, read: TextReader) -> Resolver:
        """References: a local contract's file (read by `read`) or the registry's version."""

        def resolve(ref: Reference) -> SchemaSource:
            contract = self.config.contract(ref.subject)
            pinned = ref.version > 0
            if contract is not None and not (pinned and self.registry is not None):
                text = read(contract)
                if text is None:
                    text = self.local_text(contract)
                return self.source(contract, text)
            if self.registry is None:
                raise LookupError(
                    f"subject {ref.subject!r} is neither a contract in charter.yaml nor "
                    "available without a registry"
                )
            if pinned:
                return stored_source(self.registry.get_version(ref.subject, ref.version))
            return stored_source(self.registry.latest(ref.subject))

        return resolve
