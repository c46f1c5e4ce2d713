"""InitProducerId: producer ids that are never handed out twice, and their epochs.

Ids are given out of blocks reserved in a file of the data directory (`producer-ids`: the
first id not yet reserved, u64, then its CRC32C, u32; replaced atomically and fsynced before
an id of the new block is given), so a restart starts past every id given before it, as
Kafka's blocks of producer ids do. Without the file (a new data directory) ids start from
the clock in milliseconds. The epochs of the ids given are kept in memory, at most
`producers_max`, the least recently initialised forgotten first: they let a producer that
names its id and epoch get the next epoch (KIP-360). The sequences of each producer's
batches are the partitions' (broker.producer_state), kept and rebuilt by their logs.
"""

from __future__ import annotations

import collections
import contextlib
import os
import struct
import threading
import time
from pathlib import Path

from crc32c import crc32c

__all__ = ["ID_BLOCK", "ProducerTable"]

ID_BLOCK = 1_000  # ids reserved per write of the file
_FILE = struct.Struct(">QI")
_EPOCH_MAX = 2**15 - 1  # an i16: past it the producer gets a new id


class ProducerTable:
    """Producer ids and epochs. Thread-safe (InitProducerId runs on the executor)."""

    def __init__(self, producers_max: int, ids_path: Path) -> None:
        self._producers_max = producers_max
        self._path = ids_path
        self._lock = threading.Lock()
        self._next_id = max(self._reserved(), time.time_ns() // 1_000_000)
        self._block_end = self._next_id  # nothing reserved by this process yet
        self._epochs: collections.OrderedDict[int, int] = collections.OrderedDict()

    def _reserved(self) -> int:
        """The first id no earlier run reserved; 0 without a readable file."""
        try:
            raw = self._path.read_bytes()
            reserved, crc = _FILE.unpack(raw)
        except (OSError, struct.error):
            return 0
        return reserved if crc32c(raw[:8]) == crc else 0

    def _reserve(self, end: int) -> None:
        body = struct.pack(">Q", end)
        tmp = self._path.with_name(self._path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, body + struct.pack(">I", crc32c(body)))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self._path)
        with contextlib.suppress(OSError):
            dir_fd = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self._block_end = end

    def init(self, producer_id: int, epoch: int) -> tuple[int, int]:
        """A new (id, epoch 0), or the next epoch of a known id the producer names."""
        with self._lock:
            if producer_id >= 0 and self._epochs.get(producer_id) == epoch < _EPOCH_MAX:
                new_epoch = epoch + 1
            else:
                if self._next_id >= self._block_end:
                    self._reserve(self._next_id + ID_BLOCK)
                producer_id, new_epoch = self._next_id, 0
                self._next_id += 1
            self._epochs[producer_id] = new_epoch
            self._epochs.move_to_end(producer_id)
            while len(self._epochs) > self._producers_max:
                self._epochs.popitem(last=False)
            return producer_id, new_epoch
