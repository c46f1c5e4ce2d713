"""The console's sampler on a real in-process broker, with a clock the test moves."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker import Broker, ProducerRecord
from registry.console.samples import SAMPLES_MAX, WINDOW_S, Sampler


class Clock:
    def __init__(self) -> None:
        self.ms = 1_000_000

    def __call__(self) -> int:
        return self.ms


def test_rate_and_lag_follow_the_log(tmp_path: Path) -> None:
    clock = Clock()
    with Broker(tmp_path / "broker") as broker:
        broker.create_topic("orders")
        sampler = Sampler(broker, 2.0, clock_ms=clock)
        sampler.take()
        broker.produce("orders", [ProducerRecord(b"v") for _ in range(10)])
        broker.groups.commit("billing", {("orders", 0): 4})
        clock.ms += 2000
        sampler.take()
        broker.produce("orders", [ProducerRecord(b"v") for _ in range(3)])
        broker.groups.commit("billing", {("orders", 0): 13})
        clock.ms += 3000
        sampler.take()
        assert sampler.produce_rate("orders") == [(1_002_000, 5.0), (1_005_000, 1.0)]
        # the group appears with its first commit: lag 10 - 4, then 13 - 13
        assert sampler.lag("orders") == {"billing": [(1_002_000, 6.0), (1_005_000, 0.0)]}
        assert sampler.produce_rate("nope") == [] and sampler.lag("nope") == {}
        broker.delete_topic("orders")
        broker.create_topic("orders")  # started over: no negative rate
        clock.ms += 1000
        sampler.take()
        assert sampler.produce_rate("orders")[-1] == (1_005_000, 1.0)
        assert sampler.topics() == ["orders"]


def test_the_ring_is_bounded(tmp_path: Path) -> None:
    clock = Clock()
    with Broker(tmp_path / "broker") as broker:
        broker.create_topic("t")
        sampler = Sampler(broker, 30.0, clock_ms=clock)
        assert sampler.samples_max == WINDOW_S // 30 and sampler.window_s == WINDOW_S
        for _ in range(sampler.samples_max + 5):
            clock.ms += 30_000
            sampler.take()
        kept = sampler.samples()
        assert len(kept) == sampler.samples_max
        assert kept[-1].at_ms - kept[0].at_ms == (sampler.samples_max - 1) * 30_000
        assert Sampler(broker, 0.1).samples_max == SAMPLES_MAX
    with pytest.raises(ValueError, match="at least"):
        Sampler(broker, 0.0)
