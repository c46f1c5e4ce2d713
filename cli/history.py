"""A contract's history: the old schemas a new one is compared with, from one `HistorySource`.

Two sources: `GitHistory` (the contract's file as it was at a git ref, every distinct version up
to the ref for a transitive level; no server needed) and `RegistryHistory` (the subject's live
versions and the registry's level and policy for it). Levels resolve in one order: the
contract's own, then the registry's, then charter.yaml's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cli.config import Contract
from cli.errors import SourceError
from cli.parsing import ContractParser, stored_source, working_tree

if TYPE_CHECKING:
    from cli.sources import GitRef
    from compat import Level, Policy, Schema
    from sdk.registry import Registry

__all__ = ["GitHistory", "History", "HistorySource", "RegistryHistory"]


@dataclass(frozen=True, slots=True)
class History:
    """The old schemas, oldest first, each with a label ("git:abc1234", "version 3"), and the
    level and JSON policy to compare at. No schemas: the subject is new."""

    level: Level
    policy: Policy
    schemas: tuple[Schema, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def new_subject(self) -> bool:
        return not self.schemas


class HistorySource(Protocol):
    """Where old schemas come from; `label` names it in reports ("git:REF" or "registry")."""

    @property
    def label(self) -> str: ...

    def history(self, contract: Contract) -> History:
        """The contract's history; raises `CliError` (or the SDK's `RegistryError`)."""
        ...


class GitHistory:
    """The contract's file at a git ref; references read at the same commit."""

    def __init__(self, git: GitRef, parser: ContractParser) -> None:
        self.git = git
        self.parser = parser

    @property
    def label(self) -> str:
        return f"git:{self.git.ref}"

    def history(self, contract: Contract) -> History:
        import compat

        git, config = self.git, self.parser.config
        level = contract.compatibility or config.compatibility
        if level.transitive:
            versions = git.history(contract.file)  # every version at or before the ref
        else:
            text = git.read(contract.file)
            versions = [] if text is None else [(git.ref, text)]
        schemas = []
        for commit, old in versions:

            def at_commit(other: Contract, commit: str = commit) -> str | None:
                return git.read(other.file, commit)

            try:
                source = self.parser.source(contract, old, at_commit)
                schemas.append(self.parser.parse(source, at_commit))
            except compat.SchemaParseError as exc:
                raise SourceError(
                    f"{contract.file} at {commit} is not a valid schema: {exc}"
                ) from None
        labels = tuple(f"git:{commit}" for commit, _ in versions)
        return History(level, config.json_policy, tuple(schemas), labels)


class RegistryHistory:
    """The subject's live versions in the registry, at the registry's level and policy."""

    label = "registry"

    def __init__(self, registry: Registry, parser: ContractParser) -> None:
        self.registry = registry
        self.parser = parser

    def history(self, contract: Contract) -> History:
        import compat
        from sdk.errors import SchemaNotFoundError

        config = self.parser.config
        try:
            versions = self.registry.versions(contract.subject)
        except SchemaNotFoundError as exc:
            if exc.error_code not in (40401, None):
                raise
            versions = []
        if not versions:
            return History(contract.compatibility or config.compatibility, config.json_policy)
        stored = self.registry.get_config(contract.subject, default_to_global=True)
        try:
            level = contract.compatibility or (
                compat.Level.parse(stored.compatibility) if stored else config.compatibility
            )
            policy = (
                compat.Policy.parse(stored.policy)
                if stored and stored.policy
                else config.json_policy
            )
        except compat.InvalidLevelError as exc:
            raise SourceError(f"the registry's config for {contract.subject}: {exc}") from None
        if not level.transitive:
            versions = versions[-1:]
        schemas = []
        for number in versions:
            source = stored_source(self.registry.get_version(contract.subject, number))
            try:
                # References to local contracts resolve to their files in the working tree.
                schemas.append(self.parser.parse(source, working_tree))
            except compat.SchemaParseError as exc:
                raise SourceError(
                    f"{contract.subject} version {number} in the registry does not parse: {exc}"
                ) from None
        labels = tuple(f"version {number}" for number in versions)
        return History(level, policy, tuple(schemas), labels)
