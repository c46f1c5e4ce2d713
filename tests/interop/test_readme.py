"""The README's five-minute tour runs as written, with the outputs it shows, on a fresh server."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.interop.server import RunningServer, charter_server

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR_URL = "http://127.0.0.1:8081"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def tour_blocks() -> list[tuple[str, str]]:
    text = README.read_text()
    start = text.index("## A five-minute tour")
    end = text.index("\n## ", start + 1)
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text[start:end])]


def command_and_expected(language: str) -> list[tuple[str, str]]:
    """Each `language` block paired with the output block that follows it."""
    blocks = tour_blocks()
    pairs = []
    for (lang, body), (_, expected) in pairwise(blocks):
        if lang == language:
            pairs.append((body, expected))
    return pairs


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[RunningServer]:
    with charter_server(tmp_path / "data") as server:
        yield server


def test_the_tour_has_commands_and_outputs() -> None:
    assert len(command_and_expected("sh")) >= 6
    assert len(command_and_expected("python")) == 1


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None,
                    reason="the tour uses curl and jq")
def test_the_tour_works_as_written(fresh_server: RunningServer, tmp_path: Path) -> None:
    for commands, expected in command_and_expected("sh"):
        script = commands.replace(TOUR_URL, fresh_server.base_url)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        # `curl -s` prints bodies without a newline; the README shows one per line.
        assert done.stdout.strip() == "".join(expected.splitlines()), commands

    ((program, expected),) = command_and_expected("python")
    tour = tmp_path / "tour.py"
    tour.write_text(program.replace(TOUR_URL, fresh_server.base_url))
    done = subprocess.run([sys.executable, str(tour)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
