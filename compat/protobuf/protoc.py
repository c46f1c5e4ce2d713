"""protoc, as shipped in `grpcio-tools`, turned into a function from `.proto` texts to descriptors.

grpcio-tools' compiler reads sources from disk only, so each call writes the texts into a
private temporary directory, compiles there, and removes it: the one place where `compat`
touches a file system. protoc's errors arrive as structured (file, line, column, message)
records; they become a `ProtocFailure` with 1-based lines and columns, as protoc prints them.

The descriptors are taken from the Python module protoc generates: it embeds each file's
serialized `FileDescriptorProto` (without source info), which is byte for byte what a
generated class's `DESCRIPTOR.serialized_pb` holds and what confluent-kafka's
`ProtobufSerializer` registers.
"""

from __future__ import annotations

import ast
import re
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import _protoc_compiler

from compat.protobuf.wellknown import charter_include, protoc_include

__all__ = ["ProtocFailure", "ProtocMessage", "compile_file", "valid_import_path"]

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
