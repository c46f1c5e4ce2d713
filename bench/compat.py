"""Benchmark of the compatibility engine's checkers.

Avro: Charter's checker against the `avro` package's `ReaderWriterCompatibilityChecker` (the
reference implementation) on the same (reader, writer) pairs, schemas parsed beforehand by each
side, so only the checking is timed:

- a 1,000-field record: old and new versions with realistic changes, at FULL_TRANSITIVE
  (the new schema reads the old one and the old one reads the new one);
- a 50-version history: a new version checked at FULL_TRANSITIVE against every version
  (100 reader/writer pairs).

Run with `make bench` or `python bench/compat.py [--repeat N]`. Prints milliseconds (best and
median of the repetitions) and the ratio, and exits 0. Each benchmark is a function returning
rows, so other formats can add theirs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# This file is called compat.py: run as a script, its folder would shadow the `compat` package.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from avro.compatibility import (  # noqa: E402
    ReaderWriterCompatibilityChecker,
    SchemaCompatibilityType,
)
from avro.schema import parse as avro_parse  # noqa: E402

from compat import Level, Schema, SchemaSource, SchemaType, check, parse  # noqa: E402


@dataclass
class Row:
    benchmark: str
    ours_ms: list[float]
    reference_ms: list[float]
    pairs: int
    agree: bool

    @property
    def ours(self) -> float:
        return min(self.ours_ms)

    @property
    def reference(self) -> float:
        return min(self.reference_ms)

    @property
    def ratio(self) -> float:
        return self.reference / self.ours if self.ours else float("inf")


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


# -- schemas ------------------------------------------------------------------------------

def _field(i: int, version: int = 0) -> dict[str, Any]:
    """Field i of a wide record, cycling through the kinds of type real schemas hold."""
    kind = i % 10
    name = f"field_{i}"
    if kind == 0:
        return {"name": name, "type": "int"}
    if kind == 1:
        return {"name": name, "type": "string", "doc": f"text {i}"}
    if kind == 2:
        return {"name": name, "type": ["null", "string"], "default": None}
    if kind == 3:
        symbols = ["NEW", "ACTIVE", "CLOSED"] + (["ARCHIVED"] if version else [])
        return {"name": name, "type": {"type": "enum", "name": f"State{i}", "symbols": symbols,
                                       "default": "NEW"}}
    if kind == 4:
        return {"name": name, "type": {"type": "array", "items": "long"}}
    if kind == 5:
        return {"name": name, "type": {"type": "map", "values": "double"}, "default": {}}
    if kind == 6:
        inner = [{"name": "street", "type": "string"}, {"name": "zip", "type": "string"}]
        if version:
            inner.append({"name": "country", "type": "string", "default": "NL"})
        return {"name": name, "type": {"type": "record", "name": f"Address{i}", "fields": inner}}
    if kind == 7:
        return {"name": name, "type": {"type": "fixed", "name": f"Hash{i}", "size": 16}}
    if kind == 8:
        return {"name": name, "type": {"type": "bytes", "logicalType": "decimal",
                                       "precision": 12, "scale": 2}}
    return {"name": name, "type": {"type": "long", "logicalType": "timestamp-millis"}}


def wide_pair(width: int = 1000) -> tuple[dict[str, Any], dict[str, Any]]:
    """Old and new 1,000-field records: the new one promotes ints to longs, adds enum symbols
    (the enums have defaults), adds nested fields with defaults, gives text fields a nullable
    form, renames a field with an alias, removes one with a default and adds ten new ones
    (five with defaults, five without: those are the incompatibilities)."""
    old = {"type": "record", "name": "Wide", "namespace": "com.example",
           "fields": [_field(i) for i in range(width)]}
    fields = [_field(i, version=1) for i in range(width)]
    for i, field in enumerate(fields):
        if i % 10 == 0:
            field["type"] = "long"
    fields[1] = {"name": "renamed_1", "type": "string", "aliases": ["field_1"]}
    del fields[2]
    for j in range(10):
        extra: dict[str, Any] = {"name": f"added_{j}", "type": "string"}
        if j % 2 == 0:
            extra["default"] = ""
        fields.append(extra)
    new = {"type": "record", "name": "Wide", "namespace": "com.example", "fields": fields}
    return old, new


def history(versions: int = 50, width: int = 100) -> list[dict[str, Any]]:
    """A subject's life: each version adds two defaulted fields to a 100-field record."""
    out = []
    for v in range(versions + 1):
        fields = [_field(i) for i in range(width)]
        fields += [{"name": f"v{k}_{j}", "type": ["null", "long"], "default": None}
                   for k in range(v) for j in range(2)]
        out.append({"type": "record", "name": "Event", "namespace": "com.example",
                    "fields": fields})
    return out


# -- benchmarks ---------------------------------------------------------------------------

def _ours(value: dict[str, Any]) -> Schema:
    return parse(SchemaSource(json.dumps(value), SchemaType.AVRO))


def _reference_full_transitive(new: Any, olds: list[Any]) -> bool:
    """What our FULL_TRANSITIVE does, with the reference checker: both ways, every version."""
    ok = True
    for old in reversed(olds):
        for reader, writer in ((new, old), (old, new)):
            result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
            ok = ok and result.compatibility is SchemaCompatibilityType.compatible
    return ok


def _compare(name: str, new: dict[str, Any], olds: list[dict[str, Any]], repeat: int) -> Row:
    ours_new, ours_olds = _ours(new), [_ours(o) for o in olds]
    ref_new, ref_olds = avro_parse(json.dumps(new)), [avro_parse(json.dumps(o)) for o in olds]
    ours_ms, result = timed(lambda: check(Level.FULL_TRANSITIVE, ours_new, ours_olds), repeat)
    reference_ms, ref_ok = timed(lambda: _reference_full_transitive(ref_new, ref_olds), repeat)
    return Row(name, ours_ms, reference_ms, 2 * len(olds), result.compatible == ref_ok)


def bench_avro_wide_record(repeat: int) -> list[Row]:
    old, new = wide_pair()
    return [_compare("avro 1,000-field record", new, [old], repeat)]


def bench_avro_history(repeat: int) -> list[Row]:
    versions = history()
    return [_compare("avro 50-version history", versions[-1], versions[:-1],
                     repeat)]


BENCHMARKS: list[Callable[[int], list[Row]]] = [bench_avro_wide_record, bench_avro_history]


def report(rows: list[Row]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency, but stay usable without it
        for r in rows:
            print(f"{r.benchmark}: pairs={r.pairs} ours={r.ours:.1f} ms "
                  f"(median {statistics.median(r.ours_ms):.1f}) reference={r.reference:.1f} ms "
                  f"(median {statistics.median(r.reference_ms):.1f}) ratio={r.ratio:.1f}x "
                  f"verdicts {'agree' if r.agree else 'DIFFER'}")
        return
    table = Table(
        title="FULL_TRANSITIVE checks: best of the repetitions in ms, median in brackets"
    )
    for column in ("benchmark", "pairs", "charter ms", "avro ms", "speed-up", "verdicts"):
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for r in rows:
        table.add_row(
            r.benchmark,
            str(r.pairs),
            f"{r.ours:.1f} ({statistics.median(r.ours_ms):.1f})",
            f"{r.reference:.1f} ({statistics.median(r.reference_ms):.1f})",
            f"{r.ratio:.1f}x",
            "agree" if r.agree else "DIFFER",
        )
    Console(width=110).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per benchmark")
    args = parser.parse_args(argv)
    rows = [row for bench in BENCHMARKS for row in bench(args.repeat)]
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
