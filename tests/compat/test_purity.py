"""`compat` is pure: importing and using it pulls in no web, SQL, HTTP or registry code.

Its own imports are the standard library and the schema libraries listed in THIRD_PARTY;
the one place that touches a file system is protoc's bridge, which compiles `.proto` texts
in a private temporary directory because grpcio-tools' compiler reads sources from disk only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import compat

BANNED = ("fastapi", "sqlmodel", "sqlalchemy", "httpx", "uvicorn", "starlette", "registry",
          "sdk", "broker", "cli", "socket", "requests", "urllib.request", "grpc")
# celpy: the rule language of data contracts (compat.rules compiles it, evaluates nothing)
THIRD_PARTY = ("fastavro", "jsonschema", "referencing", "google.protobuf", "grpc_tools",
               "celpy")
FILE_SYSTEM = Path("protobuf", "protoc.py")  # relative to the compat package


def test_compat_imports_nothing_banned_at_runtime() -> None:
    code = (
        "import sys, json, compat\n"
        "from compat import SchemaSource, SchemaType, parse, check, Level\n"
        "cases = ((SchemaType.AVRO, '\"string\"'), (SchemaType.JSON, '{\"type\": \"string\"}'),\n"
        "         (SchemaType.PROTOBUF, 'syntax = \"proto3\"; import \"google/type/date.proto\";"
        " message A { google.type.Date d = 1; }'))\n"
        "for t, s in cases:\n"
        "    x = parse(SchemaSource(s, t)); check(Level.FULL, x, [x])\n"
        "from compat import rules\n"
        "assert rules.problem('message.a > 0 ; message.b') is None and rules.problem('a >')\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(__import__("json").loads(out.stdout))
    bad = {m for m in loaded for b in BANNED if m == b or m.startswith(b + ".")}
    assert not bad, f"compat pulled in {sorted(bad)}"


def test_compat_source_has_no_banned_import_or_io() -> None:
    root = Path(compat.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{path}: compat must not open files"
                continue
            else:
                continue
            for name in names:
                assert not any(name == b or name.startswith(b + ".") for b in BANNED), (
                    f"{path} imports {name}"
                )


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def test_compat_imports_only_the_standard_library_and_schema_libraries() -> None:
    root = Path(compat.__file__).parent
    for path in root.rglob("*.py"):
        for name in _imports(ast.parse(path.read_text(), str(path))):
            top = name.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top == "compat"
                or any(name == t or name.startswith(t + ".") for t in THIRD_PARTY)
            )
            assert allowed, f"{path.relative_to(root)} imports {name}"


def test_only_the_protoc_bridge_touches_the_file_system() -> None:
    root = Path(compat.__file__).parent
    for path in root.rglob("*.py"):
        if path.relative_to(root) == FILE_SYSTEM:
            continue
        text = path.read_text()
        assert "tempfile" not in _imports(ast.parse(text)), path
        for call in (".write_text(", ".write_bytes(", ".mkdir(", ".unlink(", "os.remove("):
            assert call not in text, f"{path.relative_to(root)} calls {call}"
