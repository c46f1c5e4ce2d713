"""The produce-and-read example in docs/sdk.md runs as written against a real registry."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def example() -> str:
    text = (ROOT / "docs" / "sdk.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return blocks[0]


def test_the_readme_shows_the_same_example() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"```python\n{example()}```" in readme


def test_example_is_ten_lines() -> None:
    assert len(example().strip().splitlines()) <= 10


def test_example_runs(registry_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code = example().replace("http://127.0.0.1:8081", registry_url)
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/sdk.md", "exec"), {})
    assert "order.placed" in out.getvalue()
    assert "o-1" in out.getvalue()
    assert os.getcwd() == str(ROOT)
