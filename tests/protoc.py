"""protoc's Python modules for `.proto` texts, generated as an application generates and
imports them (grpcio-tools' protoc, run as a child with a time limit)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

PROTOC_TIMEOUT_S = 60


def generate(root: Path, sources: Mapping[str, str]) -> None:
    """Write `sources` (import path → text) under `root` and run protoc on them there, leaving
    each `<path>_pb2.py` beside its `.proto`."""
    for name, text in sources.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"--python_out={root}",
         *sources],
        check=True, capture_output=True, timeout=PROTOC_TIMEOUT_S,
    )


def generated(root: Path, text: str, name: str) -> ModuleType:
    """The module protoc generates for `text` saved as `<name>.proto` at the top of `root`,
    loaded as `<name>_pb2` (and kept in `sys.modules`, as an import keeps it)."""
    generate(root, {f"{name}.proto": text})
    spec = importlib.util.spec_from_file_location(f"{name}_pb2", root / f"{name}_pb2.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def imported(root: Path, sources: Mapping[str, str]) -> Iterator[dict[str, ModuleType]]:
    """protoc's modules for `sources`, imported by their package paths with `root` on
    `sys.path` (so generated modules import one another) until the block ends."""
    generate(root, sources)
    sys.path.insert(0, str(root))
    try:
        yield {
            name: importlib.import_module(name.removesuffix(".proto").replace("/", ".") + "_pb2")
            for name in sources
        }
    finally:
        sys.path.remove(str(root))
