"""protoc, as shipped in `grpcio-tools`, turned into a function from `.proto` texts to descriptors.

grpcio-tools' compiler reads sources from disk only, so each call writes the texts into a
private temporary directory, compiles there, and removes it: the one place where `compat`
touches a file system. protoc's errors arrive as structured (file, line, column, message)
records; they become a `ProtocFailure` with 1-based lines and columns, as protoc prints them.

The descriptors are taken from the Python module protoc generates: it embeds each file's
serialized `FileDescriptorProto` (without source info), which is byte for byte what a
generated class's `DESCRIPTOR.serialized_pb` holds and what confluent-kafka's
`ProtobufSerializer` registers.

Source positions (for `charter check`'s file:line:col) come only from protoc's command line
with `--include_source_info`, which writes a descriptor set: `compile_with_source_info` runs it
in the same kind of private directory.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import _protoc_compiler

from compat.protobuf.wellknown import charter_include, protoc_include

__all__ = [
    "ProtocFailure",
    "ProtocMessage",
    "compile_file",
    "compile_with_source_info",
    "valid_import_path",
]

# protoc reports unused imports and the like as warnings through `warnings`; they are not errors.
warnings.filterwarnings("ignore", category=_protoc_compiler.ProtocWarning)

_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*\Z")


def valid_import_path(name: str) -> bool:
    """Whether `name` is a relative path protoc can import and that stays inside a directory."""
    return bool(_PATH.match(name)) and ".." not in name.split("/") and len(name) <= 512


@dataclass(frozen=True, slots=True)
class ProtocMessage:
    file: str
    line: int  # 1-based; 0 when protoc gives no position
    column: int
    text: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.text}"


class ProtocFailure(Exception):
    """protoc rejected the sources; `messages` holds every error it reported."""

    def __init__(self, messages: tuple[ProtocMessage, ...]) -> None:
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = messages


def compile_file(
    main: str, files: Mapping[str, str]
) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Compile `files[main]`, with the other `files` importable by their names.

    Returns the descriptor of `main` and of every file it imports, transitively, keyed by
    import path, in dependency order (imports first, `main` last).
    """
    for name in files:
        if not valid_import_path(name):
            raise ValueError(f"not a relative import path: {name!r}")
    with tempfile.TemporaryDirectory(prefix="charter-protoc-") as root:
        for name, text in files.items():
            path = Path(root, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        try:
            generated = _protoc_compiler.get_protos(
                main.encode(),
                [root.encode(), str(protoc_include()).encode(), str(charter_include()).encode()],
            )
        except _protoc_compiler.ProtocErrors as exc:
            raise ProtocFailure(tuple(_message(e) for e in exc.errors())) from None
    out: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for _module, code in generated:
        fdp = descriptor_pb2.FileDescriptorProto.FromString(_serialized_file(code))
        out[fdp.name] = fdp
    return out


def _message(error: object) -> ProtocMessage:
    filename = getattr(error, "filename", b"")
    text = getattr(error, "message", b"")
    line = int(getattr(error, "line", -1))
    column = int(getattr(error, "column", -1))
    return ProtocMessage(
        filename.decode("utf-8", "replace") if isinstance(filename, bytes) else str(filename),
        line + 1 if line >= 0 else 0,
        column + 1 if column >= 0 else 0,
        text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text),
    )


def _serialized_file(code: bytes) -> bytes:
    """The argument of `AddSerializedFile(...)` in protoc's generated Python module."""
    for node in ast.walk(ast.parse(code)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
        ):
            value = ast.literal_eval(node.args[0])
            if isinstance(value, bytes):
                return value
    raise RuntimeError("protoc's generated module holds no serialized descriptor")


def compile_with_source_info(
    main: str, text: str, imports: Sequence[descriptor_pb2.FileDescriptorProto]
) -> descriptor_pb2.FileDescriptorProto:
    """`main`'s descriptor with `source_code_info`: protoc's command line, the one path that
    records source positions, with the already compiled `imports` as a descriptor set."""
    deps = descriptor_pb2.FileDescriptorSet()
    deps.file.extend(imports)
    with tempfile.TemporaryDirectory(prefix="charter-protoc-") as root:
        Path(root, main).parent.mkdir(parents=True, exist_ok=True)
        Path(root, main).write_text(text, encoding="utf-8")
        Path(root, "deps.pb").write_bytes(deps.SerializeToString())
        out = Path(root, "out.pb")
        args = [
            b"protoc",
            b"--proto_path=" + root.encode(),
            b"--descriptor_set_in=" + os.path.join(root, "deps.pb").encode(),
            b"--descriptor_set_out=" + str(out).encode(),
            b"--include_source_info",
            main.encode(),
        ]
        # protoc's command line prints warnings (an unused import, say) on file descriptor 2;
        # the schema compiled cleanly already, so they are sent to a file here and dropped.
        with _stderr_to(Path(root, "stderr.txt")):
            code = _protoc_compiler.run_main(args)
        if code != 0 or not out.is_file():
            raise RuntimeError(f"protoc could not recompile {main} with source info")
        located = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return next(f for f in located.file if f.name == main)


class _stderr_to:
    """Point file descriptor 2 at `path` for the duration of the block."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved = -1

    def __enter__(self) -> None:
        sys.stderr.flush()
        self.saved = os.dup(2)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        os.close(fd)

    def __exit__(self, *exc: object) -> None:
        os.dup2(self.saved, 2)
        os.close(self.saved)
