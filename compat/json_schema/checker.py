"""Confluent's model of JSON Schema change: can the reader read everything the writer writes?

The two schemas are walked together. Each difference is classified by its writer-to-reader
name (Confluent's); the ones that break the reading become findings, renamed for the direction
(see `rules.mirror`) and located in the new schema. Recursion through `$ref` terminates because
pairs in progress are assumed compatible.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from compat.json_schema.nodes import (
    EMPTY,
    Node,
    accepts_all,
    as_fraction,
    json_key,
    matches,
    types_of,
    values_of,
)
from compat.json_schema.parse import JsonSchema
from compat.json_schema.rules import BOUND_RULES, LENIENT_ALLOWED, RULES, message, mirror
from compat.model import Direction, Finding, Policy

__all__ = ["check_pair"]

_MAX_DEPTH = 200
_SUMS = ("oneOf", "anyOf")
_TEXT_ONLY = ("$dynamicRef", "$recursiveRef")
# Keywords beside which `unevaluatedItems` does not see every item after the tuple.
_ITEM_APPLICATORS = ("allOf", "anyOf", "oneOf", "if", "$ref", "$dynamicRef", "$recursiveRef",
                     "contains")
_SIMPLE_BOUNDS = {
    "string": (("maxLength", True), ("minLength", False)),
    "array": (("maxItems", True), ("minItems", False)),
    "object": (("maxProperties", True), ("minProperties", False)),
}


def _accepts_type(t: str, types: frozenset[str] | None) -> bool:
    return types is None or t in types or (t == "integer" and "number" in types)


def _may_be(t: str, types: frozenset[str] | None) -> bool:
    """Whether values of JSON type `t` (integer counted as number) are in play."""
    if types is None or t in types:
        return True
    return t == "number" and "integer" in types


def _extra_model(contents: dict[str, Any]) -> tuple[str, Any]:
    """How an object treats undeclared properties: open, closed, or partial with a schema."""
    key = "additionalProperties" if "additionalProperties" in contents else "unevaluatedProperties"
    value = contents.get(key, True)
    if value is False:
        return "closed", key
    if accepts_all(value):
        return "open", key
    return "partial", key


class _Checker:
    def __init__(self, direction: Direction, policy: Policy, sound: bool = False) -> None:
        self.direction = direction
        self.policy = policy
        self.sound = sound  # a `default` does not excuse a newly required property
        self.in_progress: set[tuple[int, int]] = set()
        self.verdicts: dict[tuple[int, int], bool] = {}
        self.derived: dict[tuple[object, ...], Any] = {}
        self.depth = 0
        self.assumptions = 0  # how often a pair in progress was assumed compatible
        self.origin = ""  # where in a referenced schema the new side's current node is

    # -- findings ------------------------------------------------------------------------

    def emit(
        self,
        out: list[Finding],
        rule_bw: str,
        r_path: str,
        w_path: str,
        r_value: Any,
        w_value: Any,
        name: str = "",
    ) -> None:
        if self.policy is Policy.LENIENT and rule_bw in LENIENT_ALLOWED:
            return
        if self.direction is Direction.BACKWARD:
            rule, location, old, new = rule_bw, r_path, w_value, r_value
        else:
            rule, location, old, new = mirror(rule_bw), w_path, r_value, w_value
        out.append(
            Finding(
                rule=RULES[rule].id,
                location=location,
                message=message(rule, self.direction, old, new, name, self.origin),
                hint=RULES[rule].fix,
                direction=self.direction,
                old=old,
                new=new,
            )
        )

    # -- the walk ------------------------------------------------------------------------

    def compatible(self, reader: Node, writer: Node) -> bool:
        key = (id(reader.contents), id(writer.contents))
        if key in self.verdicts:
            return self.verdicts[key]
        assumptions = self.assumptions
        verdict = not self.compare(reader, writer)
        if self.assumptions == assumptions:  # a verdict resting on a pair in progress may change
            self.verdicts[key] = verdict
        return verdict

    def compare(self, reader: Node, writer: Node) -> list[Finding]:
        r, w = reader.deref(), writer.deref()
        if w.contents is False or accepts_all(r.contents):
            return []
        if w.contents is True:
            w = w.with_contents(EMPTY)
        if r.side.draft.legacy == w.side.draft.legacy:
            text = r.side.subtree_text(r.contents)
            if text is not None and '"$ref"' not in text and text == w.side.subtree_text(
                w.contents
            ):
                return []  # an unchanged part without references reads itself
        key = (id(r.contents), id(w.contents))
        if key in self.in_progress or self.depth > _MAX_DEPTH:
            self.assumptions += 1
            return []
        self.in_progress.add(key)
        self.depth += 1
        outer = self.origin
        self.origin = (r if self.direction is Direction.BACKWARD else w).origin
        try:
            out: list[Finding] = []
            self._compare(r, w, out)
            return out
        finally:
            self.origin = outer
            self.depth -= 1
            self.in_progress.discard(key)

    def _compare(self, r: Node, w: Node, out: list[Finding]) -> None:
        rc, wc = r.contents, w.contents
        if _unsatisfiable(wc):
            return  # the writer writes nothing, which any reader reads
        if rc is False:
            self.emit(out, "TYPE_NARROWED", r.path, w.path, [], wc.get("type", "any"))
            return
        written = values_of(wc)
        if written is not None:
            # only the values the writer's other keywords let through are ever written
            written = [v for v in written if self.valid(w, v) is not False]
            if all(self.valid(r, v) for v in written):
                return
        if any(k in wc for k in _SUMS):
            self._writer_sum(r, w, out)
        elif any(k in rc for k in _SUMS):
            self._reader_sum(r, w, out)
        elif "allOf" in rc or "allOf" in wc:
            self._product(r, w, out)
        else:
            self._plain(r, w, out)
        if written is not None and not out:
            self.emit(out, "ENUM_ARRAY_NARROWED", r.path, w.path, values_of(rc), written)

    def valid(self, node: Node, value: Any) -> bool | None:
        """Whether `value` is valid under `node`; None when the check cannot run (a reference
        outside the validator's reach), which proves nothing either way."""
        try:
            return bool(node.side.validator.evolve(schema=node.contents).is_valid(value))
        except Exception:
            return None

    # -- combinations --------------------------------------------------------------------

    def derive(self, node: Node, tag: str, make: Any) -> Node:
        """A derived subschema, cached so its identity is stable for the memo tables."""
        key = (id(node.contents), tag)
        if key not in self.derived:
            self.derived[key] = (node.contents, make())
        return node.with_contents(self.derived[key][1])

    def without(self, node: Node, keyword: str) -> Node:
        return self.derive(
            node, "-" + keyword, lambda: {k: v for k, v in node.contents.items() if k != keyword}
        )

    def merged(self, node: Node, parts: list[Node]) -> Node:
        """A writer's conjunction as one schema. Constraints that do not merge are dropped,
        which can only make the writer look wider: a false alarm, never a missed break."""
        key = ("merge", *(id(p.contents) for p in parts))
        if key not in self.derived:
            self.derived[key] = (parts, _merge([p.contents for p in parts]))
        return node.with_contents(self.derived[key][1])

    def branches(self, node: Node, keyword: str) -> list[Node]:
        return [node.child(keyword, i) for i in range(len(node.contents[keyword]))]

    def _writer_sum(self, r: Node, w: Node, out: list[Finding]) -> None:
        wkey = "oneOf" if "oneOf" in w.contents else "anyOf"
        base = self.without(w, wkey)
        alts = self.branches(w, wkey)
        if not accepts_all(base.contents):
            alts = [self.merged(b, [base, b.deref()]) for b in alts]
        rkey = next((k for k in _SUMS if k in r.contents), None)
        if rkey is None:
            for alt in alts:
                out.extend(self.compare(r, alt))
            return
        r_path = f"{r.path}/{rkey}" if not r.frozen else r.path
        w_path = f"{w.path}/{wkey}" if not w.frozen else w.path
        if rkey == "oneOf" and wkey == "anyOf":
            self.emit(out, "COMBINED_TYPE_CHANGED", r_path, w_path, rkey, wkey)
            return
        out.extend(self.compare(self.without(r, rkey), base))
        rbranches = self.branches(r, rkey)
        unmatched = [
            i for i, alt in enumerate(alts) if not any(self.compatible(b, alt) for b in rbranches)
        ]
        for i in unmatched:
            alt = alts[i]
            if len(rbranches) < len(alts):
                self.emit(out, "SUM_TYPE_NARROWED", r_path, alt.path, r.contents[rkey],
                          w.contents[wkey])
            else:
                counterpart = rbranches[i] if len(rbranches) == len(alts) else None
                self.emit(
                    out, "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                    counterpart.path if counterpart else r_path, alt.path,
                    counterpart.contents if counterpart else r.contents[rkey], alt.contents,
                )

    def _reader_sum(self, r: Node, w: Node, out: list[Finding]) -> None:
        rkey = "oneOf" if "oneOf" in r.contents else "anyOf"
        out.extend(self.compare(self.without(r, rkey), w))
        rbranches = self.branches(r, rkey)
        if any(self.compatible(b, w) for b in rbranches):
            return
        written = types_of(w.contents)
        if written is not None and len(written) > 1:
            # a union of types may be read by a union of branches, one type each
            parts = [
                self.derive(w, "type=" + t, lambda t=t: {**w.contents, "type": t})
                for t in sorted(written)
            ]
            if all(any(self.compatible(b, p) for b in rbranches) for p in parts):
                return
        candidates = [
            b for b in rbranches
            if written is None
            or (t := types_of(_contents(b.deref()))) is None
            or any(_accepts_type(x, t) for x in written)
        ]
        if len(candidates) == 1:
            out.extend(self.compare(candidates[0], w))
        else:
            self.emit(
                out, "TYPE_CHANGED", r.path, w.path, r.contents[rkey], w.contents.get("type")
            )

    def _product(self, r: Node, w: Node, out: list[Finding]) -> None:
        wparts = self.branches(w, "allOf") if "allOf" in w.contents else []
        wx = (
            self.merged(w, [self.without(w, "allOf"), *(p.deref() for p in wparts)])
            if wparts
            else w
        )
        out.extend(self.compare(self.without(r, "allOf"), wx))
        if "allOf" not in r.contents:
            return
        for i, part in enumerate(self.branches(r, "allOf")):
            if wparts:
                if any(self.compatible(part, p) for p in wparts) or self.compatible(part, wx):
                    continue
                if i >= len(wparts):
                    self.emit(out, "PRODUCT_TYPE_EXTENDED", part.path, w.path,
                              r.contents["allOf"], w.contents.get("allOf"))
                    continue
            out.extend(self.compare(part, wx))

    # -- one schema against another, keyword by keyword ----------------------------------

    def _plain(self, r: Node, w: Node, out: list[Finding]) -> None:
        rc, wc = r.contents, w.contents
        accepted = values_of(rc)
        written = values_of(wc)
        if accepted is not None:
            if written is None:
                self.emit(out, "ENUM_ARRAY_NARROWED", r.path, w.path, accepted, "any value")
                return
            keys = {json_key(v) for v in accepted}
            lost = [v for v in written if json_key(v) not in keys]
            if lost:
                kept = {json_key(v) for v in written}
                gained = [v for v in accepted if json_key(v) not in kept]
                rule = "ENUM_ARRAY_CHANGED" if gained else "ENUM_ARRAY_NARROWED"
                self.emit(out, rule, r.path, w.path, accepted, written)
                return
        rtypes, wtypes = types_of(rc), types_of(wc)
        if rtypes is not None:
            if wtypes is None:
                self.emit(out, "TYPE_NARROWED", r.path, w.path, rc.get("type"), "any")
            elif any(not _accepts_type(t, rtypes) for t in wtypes):
                partly = any(_accepts_type(t, rtypes) for t in wtypes) or (
                    "number" in wtypes and "integer" in rtypes
                )
                rule = "TYPE_NARROWED" if partly else "TYPE_CHANGED"
                self.emit(out, rule, r.path, w.path, rc.get("type"), wc.get("type", "any"))

        def both(t: str) -> bool:
            return _may_be(t, rtypes) and _may_be(t, wtypes)

        for family, bounds in _SIMPLE_BOUNDS.items():
            if both(family):
                for keyword, upper in bounds:
                    self._simple_bound(out, r, w, keyword, upper)
        if both("string"):
            self._pattern(out, r, w)
        if both("number"):
            self._number(out, r, w, wtypes)
        if both("object"):
            self._object(out, r, w)
        if both("array"):
            self._array(out, r, w)
        self._not(out, r, w)
        self._text_only(out, r, w)

    def _simple_bound(
        self, out: list[Finding], r: Node, w: Node, keyword: str, upper: bool
    ) -> None:
        rv, wv = r.contents.get(keyword), w.contents.get(keyword)
        if rv is None or (not upper and rv == 0):
            return
        rp = f"{r.path}/{keyword}" if not r.frozen else r.path
        wp = f"{w.path}/{keyword}" if keyword in w.contents and not w.frozen else w.path
        added, tighter = BOUND_RULES[keyword]
        if wv is None:
            self.emit(out, added, rp, wp, rv, None)
        elif (upper and rv < wv) or (not upper and rv > wv):
            self.emit(out, tighter, rp, wp, rv, wv)

    def _pattern(self, out: list[Finding], r: Node, w: Node) -> None:
        rv, wv = r.contents.get("pattern"), w.contents.get("pattern")
        if rv is None or rv == wv:
            return
        rp = r.path if r.frozen else f"{r.path}/pattern"
        wp = w.path if w.frozen or wv is None else f"{w.path}/pattern"
        rule = "PATTERN_ADDED" if wv is None else "PATTERN_CHANGED"
        self.emit(out, rule, rp, wp, rv, wv)

    def _number(
        self, out: list[Finding], r: Node, w: Node, wtypes: frozenset[str] | None
    ) -> None:
        for upper in (True, False):
            rb, wb = _bound(r.contents, upper), _bound(w.contents, upper)
            if rb is None:
                continue
            r_value, r_excl, r_rule_kw, r_key = rb
            rp = r.path if r.frozen else f"{r.path}/{r_key}"
            added, tighter = BOUND_RULES[r_rule_kw]
            if wb is None:
                self.emit(out, added, rp, w.path, r_value, None)
                continue
            w_value, w_excl, w_rule_kw, w_key = wb
            wp = w.path if w.frozen else f"{w.path}/{w_key}"
            inside = (w_value < r_value if upper else w_value > r_value) or (
                w_value == r_value and (w_excl or not r_excl)
            )
            if not inside:
                rule = added if r_rule_kw != w_rule_kw else tighter
                self.emit(out, rule, rp, wp, r_value, w_value)
        rm = as_fraction(r.contents.get("multipleOf"))
        wm = as_fraction(w.contents.get("multipleOf"))
        if rm is None:
            return
        if wm is None and wtypes is not None and wtypes <= {"integer"}:
            wm = Fraction(1)
        rp = r.path if r.frozen else f"{r.path}/multipleOf"
        wp = w.path if w.frozen or "multipleOf" not in w.contents else f"{w.path}/multipleOf"
        r_raw, w_raw = r.contents.get("multipleOf"), w.contents.get("multipleOf")
        if wm is None:
            self.emit(out, "MULTIPLE_OF_ADDED", rp, wp, r_raw, None)
        elif (wm / rm).denominator != 1:
            expanded = (rm / wm).denominator == 1
            rule = "MULTIPLE_OF_EXPANDED" if expanded else "MULTIPLE_OF_CHANGED"
            self.emit(out, rule, rp, wp, r_raw, w_raw)

    # -- objects -------------------------------------------------------------------------

    def _covering(self, node: Node, name: str) -> tuple[str, list[Node]]:
        """What an object says about property `name` it does not declare."""
        patterns = node.contents.get("patternProperties", {})
        covering = [node.child("patternProperties", p) for p in patterns if matches(p, name)]
        if covering:
            return "partial", covering
        kind, key = _extra_model(node.contents)
        if kind == "partial":
            return kind, [node.child(key)]
        return kind, []

    def _object(self, out: list[Finding], r: Node, w: Node) -> None:
        rc, wc = r.contents, w.contents
        rprops: dict[str, Any] = rc.get("properties", {})
        wprops: dict[str, Any] = wc.get("properties", {})
        rpatterns: dict[str, Any] = rc.get("patternProperties", {})
        wpatterns: dict[str, Any] = wc.get("patternProperties", {})
        for name in wprops:
            # the reader's pattern schemas apply to declared properties too
            for pattern in rpatterns:
                same = pattern in wpatterns and matches(pattern, name)
                if not same and matches(pattern, name):
                    out.extend(
                        self.compare(
                            r.child("patternProperties", pattern), w.child("properties", name)
                        )
                    )
        for name in rprops:
            rsub = r.child("properties", name)
            if name in wprops:
                out.extend(self.compare(rsub, w.child("properties", name)))
                continue
            kind, covering = self._covering(w, name)
            if kind == "closed" or accepts_all(rsub.deref().contents):
                continue
            if kind == "open":
                self.emit(
                    out, "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", rsub.path, w.path,
                    rprops[name], None, name,
                )
            elif not any(self.compatible(rsub, c) for c in covering):
                self.emit(
                    out, "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    rsub.path, w.path, rprops[name], covering[0].contents, name,
                )
        for name in wprops:
            if name in rprops:
                continue
            wsub = w.child("properties", name)
            if wsub.deref().contents is False:
                continue
            kind, covering = self._covering(r, name)
            if kind == "closed":
                self.emit(
                    out, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", r.path, wsub.path,
                    None, wprops[name], name,
                )
            elif kind == "partial" and not all(self.compatible(c, wsub) for c in covering):
                self.emit(
                    out, "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                    r.path, wsub.path, covering[0].contents, wprops[name], name,
                )
        self._required(out, r, w)
        self._additional(out, r, w)
        self._dependencies(out, r, w)
        if "propertyNames" in rc:
            out.extend(self.compare(r.child("propertyNames"), w.child_or_true("propertyNames")))

    def _required(self, out: list[Finding], r: Node, w: Node) -> None:
        rc, wc = r.contents, w.contents
        rreq, wreq = rc.get("required", []), wc.get("required", [])
        if not isinstance(rreq, list) or not isinstance(wreq, list):
            return
        rp = r.path if r.frozen else f"{r.path}/required"
        wp = w.path if w.frozen or "required" not in wc else f"{w.path}/required"
        for name in rreq:
            if name in wreq:
                continue
            rprop = rc.get("properties", {}).get(name)
            if rprop is not None and not self.sound:
                target = r.child("properties", name).deref().contents
                if isinstance(target, dict) and "default" in target:
                    continue
            if name in wc.get("properties", {}) or self._covering(w, name)[0] == "open":
                self.emit(out, "REQUIRED_ATTRIBUTE_ADDED", rp, wp, rreq, wreq, name)
            else:
                self.emit(
                    out, "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", rp, wp, rreq, wreq,
                    name,
                )

    def _additional(self, out: list[Finding], r: Node, w: Node) -> None:
        rc, wc = r.contents, w.contents
        rkind, rkey = _extra_model(rc)
        wkind, wkey = _extra_model(wc)
        rp = r.path if r.frozen or rkey not in rc else f"{r.path}/{rkey}"
        wp = w.path if w.frozen or wkey not in wc else f"{w.path}/{wkey}"
        if wkind != "closed":
            if rkind == "closed":
                self.emit(
                    out, "ADDITIONAL_PROPERTIES_REMOVED", rp, wp, False, wc.get(wkey, True)
                )
            elif rkind == "partial":
                if wkind == "open":
                    self.emit(
                        out, "ADDITIONAL_PROPERTIES_NARROWED", rp, wp, rc[rkey], wc.get(wkey, True)
                    )
                else:
                    out.extend(self.compare(r.child(rkey), w.child(wkey)))
        rpatterns: dict[str, Any] = rc.get("patternProperties", {})
        wpatterns: dict[str, Any] = wc.get("patternProperties", {})
        for pattern in rpatterns:
            rsub = r.child("patternProperties", pattern)
            if pattern in wpatterns:
                out.extend(self.compare(rsub, w.child("patternProperties", pattern)))
            elif wkind == "open" and not accepts_all(rsub.deref().contents):
                self.emit(
                    out, "ADDITIONAL_PROPERTIES_NARROWED", rsub.path, wp, rpatterns[pattern], True
                )
            elif wkind == "partial" and not self.compatible(rsub, w.child(wkey)):
                self.emit(
                    out, "ADDITIONAL_PROPERTIES_NARROWED", rsub.path, wp, rpatterns[pattern],
                    wc[wkey],
                )
        for pattern in wpatterns:
            if pattern in rpatterns:
                continue
            wsub = w.child("patternProperties", pattern)
            if rkind == "closed" and wsub.deref().contents is not False and wkind != "closed":
                continue  # already reported as ADDITIONAL_PROPERTIES_REMOVED
            if rkind == "closed" and wsub.deref().contents is not False:
                self.emit(out, "ADDITIONAL_PROPERTIES_REMOVED", rp, wsub.path, False,
                          wpatterns[pattern])
            elif rkind == "partial" and not self.compatible(r.child(rkey), wsub):
                self.emit(out, "ADDITIONAL_PROPERTIES_NARROWED", rp, wsub.path, rc[rkey],
                          wpatterns[pattern])

    def _dependencies(self, out: list[Finding], r: Node, w: Node) -> None:
        rarrays, rschemas = _dependencies(r.contents)
        warrays, wschemas = _dependencies(w.contents)
        for name, (keyword, needed) in rarrays.items():
            rp = r.path if r.frozen else f"{r.path}/{keyword}/{_escape(name)}"
            if name not in warrays:
                if needed:
                    self.emit(out, "DEPENDENCY_ARRAY_ADDED", rp, w.path, needed, None, name)
                continue
            wkeyword, had = warrays[name]
            wp = w.path if w.frozen else f"{w.path}/{wkeyword}/{_escape(name)}"
            if set(needed) <= set(had):
                continue
            rule = "DEPENDENCY_ARRAY_EXTENDED" if set(needed) > set(had) else (
                "DEPENDENCY_ARRAY_CHANGED"
            )
            self.emit(out, rule, rp, wp, needed, had, name)
        for name, keyword in rschemas.items():
            rsub = r.child(keyword, name)
            if name in wschemas:
                out.extend(self.compare(rsub, w.child(wschemas[name], name)))
            elif not accepts_all(rsub.deref().contents):
                self.emit(
                    out, "DEPENDENCY_SCHEMA_ADDED", rsub.path, w.path, rsub.contents, None, name
                )

    # -- arrays --------------------------------------------------------------------------

    def _array(self, out: list[Finding], r: Node, w: Node) -> None:
        rkey, rtuple, rrest_key = _array_model(r.contents, r.side.draft.legacy, reader=True)
        wkey, wtuple, wrest_key = _array_model(w.contents, w.side.draft.legacy, reader=False)
        rrest, wrest = r.child_or_true(rrest_key), w.child_or_true(wrest_key)
        wmax = w.contents.get("maxItems")
        for i in range(min(len(rtuple), len(wtuple))):
            out.extend(self.compare(r.child(rkey, i), w.child(wkey, i)))
        for i in range(len(wtuple), len(rtuple)):  # positions the reader added
            if isinstance(wmax, int) and wmax <= i:
                break
            item = r.child(rkey, i)
            kind = _rest_kind(wrest.deref().contents)
            if kind == "closed" or accepts_all(item.deref().contents):
                continue
            if kind == "open":
                self.emit(out, "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", item.path, w.path,
                          rtuple[i], None, str(i))
            elif not self.compatible(item, wrest):
                self.emit(out, "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                          item.path, w.path, rtuple[i], wrest.contents, str(i))
        for i in range(len(rtuple), len(wtuple)):  # positions the reader removed
            item = w.child(wkey, i)
            if item.deref().contents is False:
                continue
            kind = _rest_kind(rrest.deref().contents)
            if kind == "closed":
                self.emit(out, "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", r.path, item.path,
                          None, wtuple[i], str(i))
            elif kind == "partial" and not self.compatible(rrest, item):
                self.emit(out, "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                          r.path, item.path, rrest.contents, wtuple[i], str(i))
        if isinstance(wmax, int) and wmax <= max(len(rtuple), len(wtuple)):
            pass  # the writer never reaches the extra items
        elif not rtuple and not wtuple:
            out.extend(self.compare(rrest, wrest))
        else:
            rkind, wkind = _rest_kind(rrest.deref().contents), _rest_kind(wrest.deref().contents)
            if wkind != "closed":
                if rkind == "closed":
                    self.emit(out, "ADDITIONAL_ITEMS_REMOVED", rrest.path, wrest.path, False,
                              wrest.contents)
                elif rkind == "partial" and wkind == "open":
                    self.emit(out, "ADDITIONAL_ITEMS_NARROWED", rrest.path, wrest.path,
                              rrest.contents, wrest.contents)
                elif rkind == "partial":
                    out.extend(self.compare(rrest, wrest))
        self._contains(out, r, w)
        unique = r.contents.get("uniqueItems") is True
        if unique and w.contents.get("uniqueItems") is not True and not (
            isinstance(wmax, int) and wmax <= 1
        ):
            rp = r.path if r.frozen else f"{r.path}/uniqueItems"
            self.emit(out, "UNIQUE_ITEMS_ADDED", rp, w.path, True,
                      w.contents.get("uniqueItems", False))

    def _contains(self, out: list[Finding], r: Node, w: Node) -> None:
        """The reader's `contains` (with `minContains`/`maxContains` from 2019-09) against
        what the writer guarantees about the same items."""
        rc, wc = r.contents, w.contents
        if "contains" not in rc:
            return
        rmin, rmax = _contains_counts(rc, r.side.draft.legacy)
        if rmin == 0 and rmax is None:
            return
        rp = r.path if r.frozen else f"{r.path}/contains"
        if "contains" not in wc:
            self.emit(out, "KEYWORD_CHANGED", rp, w.path, rc["contains"], None, "contains")
            return
        wmin, wmax = _contains_counts(wc, w.side.draft.legacy)
        same = json_key(rc["contains"]) == json_key(wc["contains"])
        if not same and not (
            rmax is None and self.compatible(r.child("contains"), w.child("contains"))
        ):
            self.emit(out, "KEYWORD_CHANGED", rp, w.path, rc["contains"], wc["contains"],
                      "contains")
            return
        if rmin > wmin:
            rule = "MIN_CONTAINS_INCREASED" if "minContains" in wc else "MIN_CONTAINS_ADDED"
            self.emit(out, rule, _at(r, "minContains"), _at(w, "minContains"), rmin,
                      wc.get("minContains"))
        if rmax is not None and (wmax is None or wmax > rmax):
            rule = "MAX_CONTAINS_DECREASED" if wmax is not None else "MAX_CONTAINS_ADDED"
            self.emit(out, rule, _at(r, "maxContains"), _at(w, "maxContains"), rmax, wmax)

    # -- the rest ------------------------------------------------------------------------

    def _not(self, out: list[Finding], r: Node, w: Node) -> None:
        if "not" not in r.contents:
            return
        rp = r.path if r.frozen else f"{r.path}/not"
        if "not" not in w.contents:
            self.emit(out, "NOT_TYPE_EXTENDED", rp, w.path, r.contents["not"], None)
            return
        # not A reads not B exactly when B reads A
        if not self.compatible(w.child("not"), r.child("not")):
            wp = w.path if w.frozen else f"{w.path}/not"
            self.emit(out, "NOT_TYPE_EXTENDED", rp, wp, r.contents["not"], w.contents["not"])

    def _text_only(self, out: list[Finding], r: Node, w: Node) -> None:
        rc, wc = r.contents, w.contents
        conditional = ("if", "then", "else")
        if any(k in rc for k in conditional):
            rcond = {k: rc[k] for k in conditional if k in rc}
            wcond = {k: wc[k] for k in conditional if k in wc}
            if json_key(rcond) != json_key(wcond):
                rp = r.path if r.frozen else f"{r.path}/if"
                self.emit(out, "COMBINED_TYPE_CHANGED", rp, w.path, rcond, wcond or None)
        for keyword in _TEXT_ONLY:
            if keyword in rc and (keyword not in wc or json_key(rc[keyword]) != json_key(
                wc[keyword]
            )):
                rp = r.path if r.frozen else f"{r.path}/{keyword}"
                self.emit(out, "KEYWORD_CHANGED", rp, w.path, rc[keyword], wc.get(keyword),
                          keyword)


def _contains_counts(contents: dict[str, Any], legacy: bool) -> tuple[int, int | None]:
    """How many items must match `contains`: (at least, at most or None)."""
    if legacy:
        return 1, None
    low, high = contents.get("minContains", 1), contents.get("maxContains")
    return (low if isinstance(low, int) else 1), (high if isinstance(high, int) else None)


def _at(node: Node, keyword: str) -> str:
    if node.frozen or keyword not in node.contents:
        return node.path
    return f"{node.path}/{keyword}"


def _contents(node: Node) -> dict[str, Any]:
    return node.contents if isinstance(node.contents, dict) else EMPTY


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _bound(contents: dict[str, Any], upper: bool) -> tuple[Any, bool, str, str] | None:
    """The tightest upper or lower bound: (value, exclusive, keyword it counts as, keyword
    written). Draft 4's boolean `exclusiveMaximum` makes `maximum` count as exclusive."""
    plain_key, excl_key = (
        ("maximum", "exclusiveMaximum") if upper else ("minimum", "exclusiveMinimum")
    )
    candidates: list[tuple[Any, bool, str, str]] = []
    plain, excl = contents.get(plain_key), contents.get(excl_key)
    if isinstance(plain, int | float) and not isinstance(plain, bool):
        if excl is True:
            candidates.append((plain, True, excl_key, excl_key))
        else:
            candidates.append((plain, False, plain_key, plain_key))
    if isinstance(excl, int | float) and not isinstance(excl, bool):
        candidates.append((excl, True, excl_key, excl_key))
    if not candidates:
        return None
    if upper:
        return min(candidates, key=lambda c: (c[0], not c[1]))
    return max(candidates, key=lambda c: (c[0], c[1]))


def _dependencies(
    contents: dict[str, Any],
) -> tuple[dict[str, tuple[str, list[Any]]], dict[str, str]]:
    arrays: dict[str, tuple[str, list[Any]]] = {}
    schemas: dict[str, str] = {}
    for keyword in ("dependencies", "dependentRequired", "dependentSchemas"):
        value = contents.get(keyword)
        if not isinstance(value, dict):
            continue
        for name, dep in value.items():
            if isinstance(dep, list):
                arrays[name] = (keyword, dep)
            else:
                schemas[name] = keyword
    return arrays, schemas


def _array_model(
    contents: dict[str, Any], legacy: bool, *, reader: bool
) -> tuple[str, list[Any], str]:
    """(tuple keyword, tuple schemas, keyword of the schema for the items after them).

    From 2019-09 `unevaluatedItems` is that schema when no other keyword says what comes after
    the tuple. Beside applicators it may see fewer items; taking it as the rest then makes a
    reader look stricter (a false alarm at worst), so a writer's is used only without them.
    """
    if isinstance(contents.get("prefixItems"), list):
        tuple_key, rest = "prefixItems", "items"
    elif isinstance(contents.get("items"), list):
        tuple_key, rest = "items", "additionalItems"
    else:
        tuple_key, rest = "items", "items"
    if (
        not legacy
        and rest not in contents
        and "unevaluatedItems" in contents
        and (reader or not any(k in contents for k in _ITEM_APPLICATORS))
    ):
        rest = "unevaluatedItems"
    tuple_ = contents.get(tuple_key) if tuple_key != rest else None
    return tuple_key, tuple_ if isinstance(tuple_, list) else [], rest


def _unsatisfiable(contents: Any) -> bool:
    """Whether an `allOf` asks for JSON types no value has at once (nothing validates)."""
    if not isinstance(contents, dict) or not isinstance(contents.get("allOf"), list):
        return False
    allowed: set[str] | None = None
    for part in [contents, *contents["allOf"]]:
        declared = part.get("type") if isinstance(part, dict) else None
        if declared is None:
            continue
        types = {declared} if isinstance(declared, str) else set(declared)
        if "number" in types:
            types.add("integer")  # an integer is a number
        allowed = types if allowed is None else allowed & types
    return allowed is not None and not allowed


def _rest_kind(contents: Any) -> str:
    if contents is False:
        return "closed"
    return "open" if accepts_all(contents) else "partial"


def _merge(parts: list[Any]) -> Any:
    if any(p is False for p in parts):
        return False
    out: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "$ref":
                continue
            if key not in out:
                out[key] = value
            elif key in ("properties", "patternProperties") and isinstance(value, dict):
                merged = dict(out[key])
                for name, sub in value.items():
                    merged[name] = {"allOf": [merged[name], sub]} if name in merged else sub
                out[key] = merged
            elif key == "required" and isinstance(value, list):
                out[key] = [*out[key], *(v for v in value if v not in out[key])]
            elif key == "allOf" and isinstance(value, list):
                out[key] = [*out[key], *value]
            # any other keyword keeps its first value: the merge may only widen a writer
    return out


def check_pair(
    reader: JsonSchema,
    writer: JsonSchema,
    *,
    direction: Direction,
    policy: Policy,
    sound: bool = False,
) -> Iterator[Finding]:
    """Every reason `reader` may fail data `writer` accepts (the semantic judgement).

    With `sound`, nothing is excused that validation would reject (Confluent lets a `default`
    excuse a newly required property; data without it still fails)."""
    checker = _Checker(direction, policy, sound)
    seen: set[tuple[str, str, str]] = set()
    for finding in checker.compare(Node.root(reader), Node.root(writer)):
        key = (finding.rule, finding.location, finding.message)
        if key not in seen:
            seen.add(key)
            yield finding
