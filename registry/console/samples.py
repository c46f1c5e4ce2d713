"""Recent figures for the console's charts: a bounded ring of samples taken in the serve process.

Every `interval_s` the sampler reads each topic's log end offsets (summed over partitions) and
each group's lag per topic; the charts derive the produce rate from consecutive end offsets,
so the figure counts every record appended, whichever listener it came through. Everything is
bounded: the ring keeps the last `WINDOW_S` (at most `SAMPLES_MAX` samples) and one sample holds
at most `SERIES_MAX` topics and `SERIES_MAX` (group, topic) pairs.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from broker.api import BrokerAPI
from broker.errors import BrokerError

__all__ = [
    "SAMPLES_MAX",
    "SAMPLE_INTERVAL_S_DEFAULT",
    "SERIES_MAX",
    "WINDOW_S",
    "Sample",
    "Sampler",
]

log = logging.getLogger("charter.console")

SAMPLE_INTERVAL_S_DEFAULT = 5.0
SAMPLE_INTERVAL_S_MIN = 0.1
WINDOW_S = 15 * 60
SAMPLES_MAX = 900
SERIES_MAX = 256

Point = tuple[int, float]  # (milliseconds since the epoch, value)


@dataclass(frozen=True, slots=True)
class Sample:
    at_ms: int
    ends: Mapping[str, int]  # topic → sum of its partitions' log end offsets
    lags: Mapping[tuple[str, str], int]  # (group, topic) → the group's total lag on it


class Sampler:
    """Takes samples of `broker` and answers the charts' series from the ring."""

    def __init__(
        self,
        broker: BrokerAPI,
        interval_s: float = SAMPLE_INTERVAL_S_DEFAULT,
        *,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        if not interval_s >= SAMPLE_INTERVAL_S_MIN:
            raise ValueError(f"the sample interval must be at least {SAMPLE_INTERVAL_S_MIN} s")
        self.broker = broker
        self.interval_s = interval_s
        self.samples_max = min(SAMPLES_MAX, max(2, math.ceil(WINDOW_S / interval_s)))
        self._clock_ms = clock_ms
        self._ring: deque[Sample] = deque(maxlen=self.samples_max)
        self._lock = threading.Lock()

    @property
    def window_s(self) -> float:
        return self.samples_max * self.interval_s

    def take(self) -> Sample:
        """Read the broker once and keep the sample (the oldest one falls out of the ring)."""
        ends: dict[str, int] = {}
        for name in self.broker.list_topics()[:SERIES_MAX]:
            with contextlib.suppress(BrokerError):  # deleted between the listing and here
                described = self.broker.describe_topic(name)
                ends[name] = sum(p.log_end_offset for p in described.partitions)
        lags: dict[tuple[str, str], int] = {}
        for group in self.broker.groups.list_groups():
            if len(lags) >= SERIES_MAX:
                break
            with contextlib.suppress(BrokerError):
                for row in self.broker.lag(group):
                    key = (group, row.topic)
                    lags[key] = lags.get(key, 0) + row.lag
        sample = Sample(self._clock_ms(), ends, dict(list(lags.items())[:SERIES_MAX]))
        with self._lock:
            self._ring.append(sample)
        return sample

    def samples(self) -> list[Sample]:
        with self._lock:
            return list(self._ring)

    def produce_rate(self, topic: str) -> list[Point]:
        """Records appended per second between consecutive samples that both know `topic`."""
        points: list[Point] = []
        ring = self.samples()
        for before, after in itertools.pairwise(ring):
            if topic not in before.ends or topic not in after.ends:
                continue
            elapsed_s = (after.at_ms - before.at_ms) / 1000
            grown = after.ends[topic] - before.ends[topic]
            if elapsed_s > 0 and grown >= 0:  # a topic deleted and created again starts over
                points.append((after.at_ms, round(grown / elapsed_s, 3)))
        return points

    def lag(self, topic: str) -> dict[str, list[Point]]:
        """Each group's total lag on `topic`, sample by sample."""
        series: dict[str, list[Point]] = {}
        for sample in self.samples():
            for (group, on), lag in sample.lags.items():
                if on == topic:
                    series.setdefault(group, []).append((sample.at_ms, float(lag)))
        return dict(sorted(series.items()))

    def topics(self) -> list[str]:
        """Topics the latest sample saw."""
        ring = self.samples()
        return sorted(ring[-1].ends) if ring else []

    async def run(self) -> None:
        """Sample until cancelled (the console's lifespan runs this as a task)."""
        while True:
            try:
                await asyncio.to_thread(self.take)
            except BrokerError as exc:  # closed while serving stops: nothing more to sample
                log.debug("console sampler stopped: %s", exc)
                return
            except Exception:  # a failed sample must not end the charts for good
                log.exception("console sample failed")
            await asyncio.sleep(self.interval_s)
