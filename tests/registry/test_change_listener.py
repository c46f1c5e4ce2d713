"""The change listener (PostgreSQL): it hears other processes' notices, and after its
connection is cut it stops trusting memory, reconnects and listens again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from registry import Settings
from registry.app import build_registry
from registry.http import Registry
from registry.memory import Change
from registry.values import VersionEntry

WAIT_S = 10.0  # generous: the listener's back-off tops out at 5 s


def eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def listener_pids(registry: Registry) -> list[int]:
    assert registry.listener is not None
    with registry.database.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": registry.listener.name},
        )
        return [int(pid) for (pid,) in rows]


def notify(registry: Registry, payload: str) -> None:
    with registry.database.engine.begin() as conn:
        conn.execute(text("SELECT pg_notify('charter_registry', :p)"), {"p": payload})


def remembered(registry: Registry, subject: str) -> bool:
    return isinstance(registry.service.caches.histories.get(subject), tuple)


@pytest.mark.postgres
def test_listener_applies_notices_and_survives_a_cut_connection(
    postgres_url: str, tmp_path: Path
) -> None:
    registry = build_registry(Settings(data_dir=tmp_path, database_url=postgres_url))
    try:
        assert registry.listener is not None and registry.listener.wait_listening(WAIT_S)
        assert registry.service.trusted
        entry = VersionEntry("s", 1, 1, False, "f", "n")
        histories = registry.service.caches.histories

        histories.put("s", (entry,))
        notify(registry, Change(("s",)).encode("another-process"))
        assert eventually(lambda: not remembered(registry, "s"))

        [first] = listener_pids(registry)
        with registry.database.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        assert eventually(lambda: listener_pids(registry) not in ([], [first]))
        assert eventually(lambda: registry.service.trusted)

        histories.put("s", (entry,))
        notify(registry, Change(("s",)).encode("another-process"))
        assert eventually(lambda: not remembered(registry, "s"))
    finally:
        registry.close()


@pytest.mark.postgres
def test_own_notices_are_not_applied_twice(postgres_url: str, tmp_path: Path) -> None:
    registry = build_registry(Settings(data_dir=tmp_path, database_url=postgres_url))
    try:
        assert registry.listener is not None and registry.listener.wait_listening(WAIT_S)
        caches = registry.service.caches
        caches.histories.put("own", (VersionEntry("own", 1, 1, False, "f", "n"),))
        caches.apply_notice(Change(("own",)).encode(caches.origin))
        assert remembered(registry, "own")
        caches.apply_notice("not a notice")  # unreadable: everything is dropped
        assert not remembered(registry, "own")
    finally:
        registry.close()
