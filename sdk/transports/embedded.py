"""Charter's broker embedded in the process: `memory://[name]` or `file:///path`.

One `broker.Broker` serves every producer and consumer of the process that names the same
URL (a data directory is owned by one process). A `file://` broker closes when the last of
them closes; a `memory://` broker lives, in a temporary directory, until the process exits.

A `memory://` broker promises nothing across the process's end (its directory is removed at
exit), so it never waits for the disk: the topics its clients create flush `never` (the OS
writes them back in its own time) and its groups and their commits live in memory alone
(`offsets_flush="memory"`, see broker.groups). A topic made on it explicitly
(`shared_broker(url).create_topic`) keeps the flush policy it is given.
A `file://` broker keeps the broker's defaults: appends and commits are fsynced before they
are acknowledged.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from broker import Broker, BrokerError
from broker.config import FlushPolicy
from sdk.errors import ConfigurationError, TransportError
from sdk.transports.builtin import BrokerConsumer, BrokerProducer

__all__ = ["EmbeddedConsumer", "EmbeddedProducer", "shared_broker"]

_brokers: dict[str, tuple[Broker, int, Path | None]] = {}
_brokers_lock = threading.Lock()


def _key_and_dir(url: str) -> tuple[str, Path | None]:
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return f"memory://{parts.netloc}{parts.path}", None
    path = unquote(parts.path)
    if parts.netloc not in ("", "localhost") or not path:
        raise ConfigurationError(f"{url!r}: a file broker URL is file:///absolute/path")
    resolved = Path(path).resolve()
    return f"file://{resolved}", resolved


def acquire(url: str) -> tuple[str, Broker]:
    key, directory = _key_and_dir(url)
    with _brokers_lock:
        found = _brokers.get(key)
        if found is not None:
            _brokers[key] = (found[0], found[1] + 1, found[2])
            return key, found[0]
        temp = None
        if directory is None:
            temp = Path(tempfile.mkdtemp(prefix="charter-memory-broker-"))
            directory = temp
        try:
            broker = Broker(directory, offsets_flush="memory" if temp else "always")
        except BrokerError as exc:
            raise TransportError(f"cannot open the broker at {url!r}: {exc}") from exc
        _brokers[key] = (broker, 1, temp)
        return key, broker


def release(key: str) -> None:
    with _brokers_lock:
        broker, count, temp = _brokers[key]
        # a memory:// broker lives as long as the process, like an in-memory database
        if count > 1 or temp is not None:
            _brokers[key] = (broker, count - 1, temp)
            return
        del _brokers[key]
    broker.close()


@atexit.register
def _close_memory_brokers() -> None:
    with _brokers_lock:
        found = [(b, t) for b, _, t in _brokers.values() if t is not None]
    for broker, temp in found:
        with contextlib.suppress(Exception):
            broker.close()
        shutil.rmtree(temp, ignore_errors=True)


class shared_broker:
    """`with shared_broker(url) as broker:` the process's broker for `url` (admin, tests)."""

    def __init__(self, url: str) -> None:
        self._key, self.broker = acquire(url)

    def __enter__(self) -> Broker:
        return self.broker

    def __exit__(self, *exc: object) -> None:
        release(self._key)


def _topic_flush(key: str) -> FlushPolicy:
    return "never" if key.startswith("memory://") else "always"


class EmbeddedProducer(BrokerProducer):
    def __init__(self, url: str, **options: Any) -> None:
        key, broker = acquire(url)
        options.setdefault("topic_flush", _topic_flush(key))
        options.setdefault("split_partitions", True)  # no request per partition to save
        super().__init__(broker, functools.partial(release, key), **options)


class EmbeddedConsumer(BrokerConsumer):
    def __init__(
        self,
        url: str,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        **options: Any,
    ) -> None:
        key, broker = acquire(url)
        options.setdefault("topic_flush", _topic_flush(key))
        super().__init__(
            broker, functools.partial(release, key), group, topics, auto_offset_reset, **options
        )
