"""docs/protobuf.md's examples run as written: protoc compiles its `.proto`, then Charter's SDK
and confluent-kafka each publish and read the message, writing the same bytes."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "protobuf.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_examples_run_and_write_the_same_bytes(
    registry_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (proto,) = _blocks("proto")
    path = proto.splitlines()[0].removeprefix("// ").strip()
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(proto)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{tmp_path}", f"--python_out={tmp_path}",
         path],
        check=True, capture_output=True, timeout=60,
    )
    ours, theirs = (b for b in _blocks("python") if "orders_pb2" in b)
    topic = f"orders-{secrets.token_hex(3)}"
    sys.path.insert(0, str(tmp_path))
    try:
        written = []
        for code in (ours, theirs):
            code = code.replace("http://127.0.0.1:8081", registry_url)
            code = code.replace('"orders"', repr(topic))
            namespace: dict[str, object] = {}
            exec(compile(code, str(DOC), "exec"), namespace)
            written.append(namespace["data"])
    finally:
        sys.path.remove(str(tmp_path))
    assert capsys.readouterr().out == "True\nTrue\n"
    assert written[0] == written[1]
    assert isinstance(written[0], bytes) and written[0][5:6] == b"\x00"
