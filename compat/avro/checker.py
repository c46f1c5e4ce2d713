"""Avro schema resolution as a compatibility check: can `reader` read what `writer` wrote?

Follows the "Schema Resolution" section of the Avro specification. Every problem is reported,
not only the first. Named-type pairs are memoised, and a pair met again while it is still being
checked counts as compatible, so recursive types terminate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from compat.avro.nodes import (
    PRIMITIVES,
    ArrayNode,
    EnumNode,
    FixedNode,
    MapNode,
    NamedNode,
    Node,
    RecordNode,
    UnionNode,
)
from compat.avro.rules import (
    DECIMAL_PRECISION_MISMATCH,
    DECIMAL_SCALE_MISMATCH,
    FIXED_SIZE_MISMATCH,
    MISSING_ENUM_SYMBOLS,
    MISSING_UNION_BRANCH,
    NAME_MISMATCH,
    READER_FIELD_MISSING_DEFAULT_VALUE,
    TYPE_MISMATCH,
)
from compat.model import Direction, Finding

__all__ = ["check_nodes", "readable"]

# writer kind -> the reader kinds that can read it (identity and the spec's promotions)
_READS: dict[str, frozenset[str]] = {
    "null": frozenset({"null"}),
    "boolean": frozenset({"boolean"}),
    "int": frozenset({"int", "long", "float", "double"}),
    "long": frozenset({"long", "float", "double"}),
    "float": frozenset({"float", "double"}),
    "double": frozenset({"double"}),
    "bytes": frozenset({"bytes", "string"}),
    "string": frozenset({"string", "bytes"}),
}
_NONE: tuple[Finding, ...] = ()


def check_nodes(reader: Node, writer: Node, direction: Direction) -> Iterator[Finding]:
    """Every finding for `reader` reading `writer`'s data, duplicates removed, in tree order."""
    findings = _Run(direction).compat(reader, writer, "", "")
    seen: set[tuple[str, str, str]] = set()
    for finding in findings:
        key = (finding.rule, finding.location, finding.message)
        if key not in seen:
            seen.add(key)
            yield finding


def readable(reader: Node, writer: Node) -> bool:
    """True when `reader` can read everything `writer` writes."""
    return not _Run(Direction.BACKWARD).compat(reader, writer, "", "")


def _shallow_match(reader: Node, writer: Node) -> bool:
    """The spec's notion of two schemas matching, before looking inside them."""
    if writer.kind in PRIMITIVES:
        return reader.kind in _READS[writer.kind]
    if reader.kind != writer.kind:
        return False
    if isinstance(reader, NamedNode) and isinstance(writer, NamedNode):
        return reader.matches_name(writer)
    return True


def _writers_of(kind: str) -> list[str]:
    return [w for w, readers in _READS.items() if kind in readers and w != kind]


class _Run:
    """One reader/writer comparison: its direction and its memo of named-type pairs."""

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        self.backward = direction is Direction.BACKWARD
        self.memo: dict[tuple[int, int], Sequence[Finding]] = {}

    # -- findings -------------------------------------------------------------------------

    def _finding(
        self,
        rule: str,
        r_at: str,
        w_at: str,
        reader_value: Any,
        writer_value: Any,
        message: str,
        hint: str,
    ) -> Finding:
        if self.backward:
            location, old, new = r_at, writer_value, reader_value
        else:
            location, old, new = w_at, reader_value, writer_value
        return Finding(
            rule=rule,
            location=location,
            message=message,
            hint=hint,
            direction=self.direction,
            old=old,
            new=new,
        )

    # -- the resolution rules ---------------------------------------------------------------

    def compat(self, r: Node, w: Node, r_at: str, w_at: str) -> Sequence[Finding]:
        rk = r.kind
        wk = w.kind
        if rk == wk:
            if rk in PRIMITIVES:
                if r.decimal is None or w.decimal is None:
                    return _NONE
                return self._decimal(r, w, r_at, w_at)
            if isinstance(r, NamedNode):
                return self._named(r, w, r_at, w_at)
            if isinstance(r, ArrayNode) and isinstance(w, ArrayNode):
                return self.compat(
                    r.items, w.items, _slot(r.items_pointer, r_at), _slot(w.items_pointer, w_at)
                )
            if isinstance(r, MapNode) and isinstance(w, MapNode):
                return self.compat(
                    r.values,
                    w.values,
                    _slot(r.values_pointer, r_at),
                    _slot(w.values_pointer, w_at),
                )
            if isinstance(r, UnionNode) and isinstance(w, UnionNode):
                return self._union_from_union(r, w, r_at, w_at)
        if isinstance(w, UnionNode):
            # Each branch the writer may have chosen must be readable.
            out: list[Finding] = []
            for branch, pointer in zip(w.branches, w.branch_pointers, strict=True):
                out.extend(self.compat(r, branch, r_at, _slot(pointer, w_at)))
            return out
        if isinstance(r, UnionNode):
            return self._into_union(r, w, r_at, w_at)
        if wk in PRIMITIVES and rk in _READS[wk]:
            return _NONE  # a promotion
        return (self._type_mismatch(r, w, r_at, w_at),)

    def _named(self, r: NamedNode, w: Node, r_at: str, w_at: str) -> Sequence[Finding]:
        key = (id(r), id(w))
        known = self.memo.get(key)
        if known is not None:
            return known
        self.memo[key] = _NONE  # in progress: a recursive reference assumes success
        assert isinstance(w, NamedNode)
        r_here = _slot(r.definition, r_at)
        w_here = _slot(w.definition, w_at)
        out: list[Finding] = []
        if not r.matches_name(w):
            out.append(self._name_mismatch(r, w, r_here, w_here))
        if isinstance(r, RecordNode) and isinstance(w, RecordNode):
            self._fields(r, w, r_here, w_here, out)
        elif isinstance(r, EnumNode) and isinstance(w, EnumNode):
            self._symbols(r, w, r_here, w_here, out)
        elif isinstance(r, FixedNode) and isinstance(w, FixedNode):
            if r.size != w.size:
                out.append(self._fixed_size(r, w, r_here, w_here))
            if r.decimal is not None and w.decimal is not None:
                out.extend(self._decimal(r, w, r_here, w_here))
        result = tuple(out)
        self.memo[key] = result
        return result

    def _fields(
        self, r: RecordNode, w: RecordNode, r_here: str, w_here: str, out: list[Finding]
    ) -> None:
        for rf in r.fields:
            wf = w.writer_field_for(rf)
            if wf is None:
                if not rf.has_default:
                    out.append(self._missing_default(rf.name, _slot(rf.pointer, r_here), w_here))
                continue
            sub = self.compat(
                rf.type, wf.type, _slot(rf.type_pointer, r_here), _slot(wf.type_pointer, w_here)
            )
            if sub:
                out.extend(sub)

    def _into_union(self, r: UnionNode, w: Node, r_at: str, w_at: str) -> Sequence[Finding]:
        """A non-union writer read by a union: some branch must read it.

        Like Avro's Java `SchemaCompatibility` (and the `avro` package), any branch that reads
        the writer fully is enough. When none does but some branch matches on the surface
        (same kind and name, or a promotion), its findings explain the failure better than
        MISSING_UNION_BRANCH, so those are reported instead.
        """
        candidates: list[tuple[Node, str]] = []
        for branch, pointer in zip(r.branches, r.branch_pointers, strict=True):
            if not _shallow_match(branch, w):
                continue
            slot = _slot(pointer, r_at)
            found = self.compat(branch, w, slot, w_at)
            if not found:
                return _NONE
            candidates.append((branch, slot))
        if candidates:
            # A branch of the same kind/name was meant to read it: report why it cannot.
            exact = [c for c in candidates if c[0].kind == w.kind] or candidates
            branch, slot = exact[0]
            return self.compat(branch, w, slot, w_at)
        return (self._missing_branch(r, w, r_at, w_at),)

    def _union_from_union(
        self, r: UnionNode, w: UnionNode, r_at: str, w_at: str
    ) -> Sequence[Finding]:
        out: list[Finding] = []
        for branch, pointer in zip(w.branches, w.branch_pointers, strict=True):
            out.extend(self._into_union(r, branch, r_at, _slot(pointer, w_at)))
        return out

    def _symbols(
        self, r: EnumNode, w: EnumNode, r_here: str, w_here: str, out: list[Finding]
    ) -> None:
        if r.default is not None:
            return  # unknown symbols read as the reader's default
        missing = [s for s in w.symbols if s not in r.symbol_set]
        if not missing:
            return
        listed = ", ".join(missing)
        if self.backward:
            message = (
                f"the new enum {r.fullname} drops {listed}, which old data may hold, and has "
                "no default symbol."
            )
            hint = f'keep {listed} in the enum, or give the new enum a "default" symbol.'
            r_at = f"{r_here}/symbols"
            w_at = ""
        else:
            message = (
                f"the new enum {w.fullname} adds {listed}, which old readers do not know and "
                "have no default for."
            )
            hint = (
                f"leave out {listed} until the readers' enum has a \"default\" symbol, "
                "then add them."
            )
            r_at = ""
            w_at = f"{w_here}/symbols/{w.symbols.index(missing[0])}"
        out.append(
            self._finding(
                MISSING_ENUM_SYMBOLS, r_at, w_at, list(r.symbols), list(w.symbols), message, hint
            )
        )

    # -- finding builders -------------------------------------------------------------------

    def _type_mismatch(self, r: Node, w: Node, r_at: str, w_at: str) -> Finding:
        if self.backward:
            message = (
                f"the new schema reads {r.label()} here, which cannot read old data written "
                f"as {w.label()}."
            )
            readers = sorted(_READS.get(w.kind, frozenset()) - {w.kind})
            also = f" or a promotion of it ({', '.join(readers)})" if readers else ""
            hint = (
                f"keep {w.label()}{also}; for a real change add a new field with a default "
                "and stop writing this one."
            )
        else:
            message = (
                f"the new schema writes {w.label()} here, which old readers expecting "
                f"{r.label()} cannot read."
            )
            writers = _writers_of(r.kind)
            also = f" or a type that promotes to it ({', '.join(writers)})" if writers else ""
            hint = (
                f"keep writing {r.label()}{also}; for a real change add a new field with a "
                "default and stop writing this one."
            )
        return self._finding(TYPE_MISMATCH, r_at, w_at, r.label(), w.label(), message, hint)

    def _name_mismatch(self, r: NamedNode, w: NamedNode, r_here: str, w_here: str) -> Finding:
        if self.backward:
            message = (
                f"the new schema calls this {r.kind} {r.fullname}, which neither matches "
                f"{w.fullname} in old data nor lists it among its aliases."
            )
            hint = f'keep the name {w.fullname}, or add "aliases": ["{w.fullname}"].'
        else:
            message = (
                f"the new schema renames the {w.kind} {r.fullname} to {w.fullname}, a name "
                "old readers do not know."
            )
            hint = f"keep the name {r.fullname}; aliases in a new schema cannot help old readers."
        return self._finding(
            NAME_MISMATCH,
            f"{r_here}/name",
            f"{w_here}/name",
            r.fullname,
            w.fullname,
            message,
            hint,
        )

    def _fixed_size(self, r: FixedNode, w: FixedNode, r_here: str, w_here: str) -> Finding:
        old, new = (w.size, r.size) if self.backward else (r.size, w.size)
        reading = "the new schema cannot read old data" if self.backward else (
            "old readers cannot read new data"
        )
        return self._finding(
            FIXED_SIZE_MISMATCH,
            f"{r_here}/size",
            f"{w_here}/size",
            r.size,
            w.size,
            f"the fixed {r.fullname} changes size from {old} to {new} bytes, so {reading}.",
            f"keep the size {old}; for another size add a new fixed type in a new field.",
        )

    def _missing_default(self, name: str, r_at: str, w_here: str) -> Finding:
        if self.backward:
            message = (
                f"the new schema adds field {name!r} without a default, so old data, which "
                "lacks it, cannot be read."
            )
            hint = f"give {name!r} a default, or an alias naming the old field if it was renamed."
            return self._finding(
                READER_FIELD_MISSING_DEFAULT_VALUE, r_at, "", name, None, message, hint
            )
        message = (
            f"the new schema drops field {name!r}, which old readers need and have no "
            "default for."
        )
        hint = f"keep writing {name!r}; old readers without a default for it still exist."
        return self._finding(
            READER_FIELD_MISSING_DEFAULT_VALUE, "", f"{w_here}/fields", name, None, message, hint
        )

    def _missing_branch(self, r: UnionNode, w: Node, r_at: str, w_at: str) -> Finding:
        union = "[" + ", ".join(b.label() for b in r.branches) + "]"
        if self.backward:
            message = (
                f"the new union {union} has no branch that reads {w.label()}, which old data "
                "holds."
            )
            hint = f"add {w.label()} (or a type it promotes to) back to the union."
        else:
            message = (
                f"the new schema writes {w.label()} here, which matches no branch of the old "
                f"union {union}."
            )
            hint = f"write only types the old union {union} reads, or first add this to it."
        return self._finding(MISSING_UNION_BRANCH, r_at, w_at, union, w.label(), message, hint)

    def _decimal(self, r: Node, w: Node, r_at: str, w_at: str) -> Sequence[Finding]:
        assert r.decimal is not None and w.decimal is not None
        out: list[Finding] = []
        side = "the new schema cannot read old data" if self.backward else (
            "old readers cannot read new data"
        )
        for rule, key, index in (
            (DECIMAL_PRECISION_MISMATCH, "precision", 0),
            (DECIMAL_SCALE_MISMATCH, "scale", 1),
        ):
            rv, wv = r.decimal[index], w.decimal[index]
            if rv == wv:
                continue
            old, new = (wv, rv) if self.backward else (rv, wv)
            out.append(
                self._finding(
                    rule,
                    f"{r_at}/{key}",
                    f"{w_at}/{key}",
                    rv,
                    wv,
                    f"the decimal {key} changes from {old} to {new}, so {side} as the same "
                    "numbers.",
                    f"keep {key} {old}; for another {key} add a new field.",
                )
            )
        return out


def _slot(pointer: str | None, anchor: str) -> str:
    return anchor if pointer is None else pointer
