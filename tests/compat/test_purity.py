"""`compat` is pure: importing and using it pulls in no web, SQL, HTTP or registry code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import compat

BANNED = ("fastapi", "sqlmodel", "sqlalchemy", "httpx", "uvicorn", "starlette", "registry",
          "sdk", "broker", "cli", "socket", "requests", "urllib.request")


def test_compat_imports_nothing_banned_at_runtime() -> None:
    code = (
        "import sys, json, compat\n"
        "from compat import SchemaSource, SchemaType, parse, check, Level\n"
        "cases = ((SchemaType.AVRO, '\"string\"'), (SchemaType.JSON, '{\"type\": \"string\"}'))\n"
        "for t, s in cases:\n"
        "    x = parse(SchemaSource(s, t)); check(Level.FULL, x, [x])\n"
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
