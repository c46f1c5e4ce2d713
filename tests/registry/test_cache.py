"""The schema-by-id cache stays within its bounds."""

from __future__ import annotations

from registry.cache import MISSING, SchemaCache


def test_cache_keeps_and_returns_bytes() -> None:
    cache = SchemaCache()
    cache.put(1, b'{"schema":"x"}')
    assert cache.get(1) == b'{"schema":"x"}'
    assert cache.get(2) is MISSING


def test_cache_is_bounded_by_entries_and_bytes() -> None:
    by_count = SchemaCache(entries_max=3)
    for schema_id in range(10):
        by_count.put(schema_id, b"x")
        assert len(by_count) <= 3
    assert by_count.get(9) == b"x"
    by_size = SchemaCache(bytes_max=100)
    for schema_id in range(10):
        by_size.put(schema_id, b"y" * 40)
        assert by_size.size_bytes <= 100
    assert by_size.get(9) == b"y" * 40
    by_size.put(9, b"y" * 40)  # the same id again does not count twice
    assert by_size.size_bytes <= 100
