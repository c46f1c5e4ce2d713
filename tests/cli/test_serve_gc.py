"""`charter serve` freezes what its start-up made out of the cyclic collector's reach."""

from __future__ import annotations

import gc

from cli.serve import _freeze_start_up


def test_start_up_objects_are_frozen_and_full_collections_skip_them() -> None:
    before = gc.get_freeze_count()
    kept = [[n] for n in range(1_000)]  # tracked objects (lists) alive at start-up
    try:
        _freeze_start_up()
        assert gc.get_freeze_count() >= before + len(kept)
        tracked = {id(o) for o in gc.get_objects()}
        assert not any(id(o) in tracked for o in kept)  # a collection no longer walks them
    finally:
        gc.unfreeze()
    assert any(o is kept[0] for o in gc.get_objects())
