"""The producer/consumer example in docs/sdk.md runs as written against a real registry."""

from __future__ import annotations

import contextlib
import io
import re
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_producer_consumer_example_runs(
    registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "docs" / "sdk.md").read_text()
    block = next(
        b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "Producer(" in b
    )
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    code = (
        block.replace("http://127.0.0.1:8081", registry_url)
        .replace('"orders"', f'"{topic}"')
        .replace('["orders"]', f'["{topic}"]')
    )
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    scope: dict[str, object] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/sdk.md", "exec"), scope)
    assert out.getvalue().startswith("o-1 ")
    assert scope["stats"].handled == 1
