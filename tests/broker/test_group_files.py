"""Groups' slot files (broker.group_files): a torn save loses nothing acknowledged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broker import Broker, ProducerRecord, TopicConfig
from broker.consumer import Consumer
from broker.group_files import SLOT_HEAD, GroupFiles
from tests.broker.conftest import FakeClock


def test_saves_alternate_between_the_slots_and_the_newest_wins(tmp_path: Path) -> None:
    files = GroupFiles(tmp_path, durable=True)
    for n in range(1, 6):
        files.save("g", n, {"n": n, "pad": "x" * (50 - 10 * n)})  # shorter each time
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.0", "g.1"]
    (loaded,) = GroupFiles(tmp_path, durable=True).load_all()
    assert (loaded.stem, loaded.sequence, loaded.data["n"]) == ("g", 5, 5)


@pytest.mark.parametrize("damage", ["torn body", "torn head", "empty"])
def test_a_damaged_newest_slot_leaves_the_one_saved_before(tmp_path: Path, damage: str) -> None:
    files = GroupFiles(tmp_path, durable=True)
    files.save("g", 1, {"n": 1})
    files.save("g", 2, {"n": 2})
    newest = tmp_path / "g.0"
    raw = newest.read_bytes()
    cut = {"torn body": len(raw) - 3, "torn head": SLOT_HEAD.size - 1, "empty": 0}[damage]
    newest.write_bytes(raw[:cut])
    files = GroupFiles(tmp_path, durable=True)
    (loaded,) = files.load_all()
    assert (loaded.sequence, loaded.data) == (1, {"n": 1})
    files.save("g", 2, {"n": 22})  # the damaged slot is the one written next
    assert GroupFiles(tmp_path, durable=True).load_all()[0].data == {"n": 22}


def test_a_flipped_byte_is_caught_by_the_checksum(tmp_path: Path) -> None:
    files = GroupFiles(tmp_path, durable=False)
    files.save("g", 1, {"n": 1})
    files.save("g", 2, {"n": 2})
    newest = tmp_path / "g.0"
    raw = bytearray(newest.read_bytes())
    raw[-2] ^= 0x01
    newest.write_bytes(bytes(raw))
    assert GroupFiles(tmp_path, durable=False).load_all()[0].data == {"n": 1}


def test_a_group_saved_by_an_earlier_version_is_read_then_replaced(
    tmp_path: Path, clock: FakeClock
) -> None:
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        b.create_topic("t", TopicConfig(partitions=1))
        b.produce("t", [ProducerRecord(b"x")] * 9, partition=0)
        b.groups.commit("g", {("t", 0): 4})
        (slot,) = (tmp_path / "groups").iterdir()
        stem = slot.stem
    for slot in (tmp_path / "groups").iterdir():
        slot.unlink()
    legacy = {"group": "g", "generation": 3, "committed": {"t/0": 6}, "updated_ms": clock()}
    (tmp_path / "groups" / f"{stem}.json").write_text(json.dumps(legacy))
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        assert b.groups.committed("g", "t", 0) == 6
        b.groups.commit("g", {("t", 0): 7})
        assert sorted(p.suffix for p in (tmp_path / "groups").iterdir()) == [".1"]
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        assert b.groups.committed("g", "t", 0) == 7
        c = Consumer(b, ["t"], group="g")
        assert c.generation > 3
        c.close()
        b.groups.delete("g")
    assert list((tmp_path / "groups").iterdir()) == []
