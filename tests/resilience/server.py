"""A real `charter serve` child (`cli.spawn`) with extra options and, optionally, a descriptor
limit; it tells the process's resident memory and open descriptors."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cli.spawn import spawn


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    log_path: Path

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


@contextlib.contextmanager
def serve(
    data_dir: Path, args: Sequence[str] = (), *, nofile: int | None = None
) -> Iterator[Served]:
    with spawn(data_dir, extra_args=args, nofile=nofile) as spawned:
        yield Served(spawned.url, spawned.pid, spawned.log_path)
