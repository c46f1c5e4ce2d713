"""The README's "Any Kafka client" section runs as written against `charter serve`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kafka.conftest import ROOT, HttpApi, Serve

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

pytestmark = pytest.mark.timeout(120)


def _blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Any Kafka client")
    end = text.index("\n## ", start + 1)
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text[start:end])]


def test_the_kafka_client_example_runs_as_written(serve: Serve, tmp_path: Path) -> None:
    (sh, create), (python, program), (text, expected) = _blocks()
    assert (sh, python, text) == ("sh", "python", "text")
    command = create.strip().replace(".venv/bin/charter", f"{sys.executable} -m cli.main")
    made = subprocess.run(
        [*command.split(), "--broker", serve.url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert made.returncode == 0, made.stderr
    api = HttpApi(serve.url)
    assert api.describe_topic("readings")["config"]["contract"] == "validate"
    api.close()
    program = program.replace("http://127.0.0.1:8081", serve.url)
    program = program.replace("127.0.0.1:9092", serve.bootstrap)
    script = tmp_path / "example.py"
    script.write_text(program)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
