"""The resilience tests' server is `cli.spawn`'s child, with its descriptor limit applied."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.resilience.server import serve


def test_the_child_runs_under_the_descriptor_limit_asked_for(tmp_path: Path) -> None:
    with serve(tmp_path / "d", ["--log-level", "info"], nofile=256) as served:
        limits = Path(f"/proc/{served.pid}/limits").read_text().splitlines()
        [files] = [line.split() for line in limits if line.startswith("Max open files")]
        assert files[3:5] == ["256", "256"]
        assert httpx.get(f"{served.url}/subjects", timeout=5).json() == []
        assert 0 < served.open_fds() < 256
    # The extra arguments come after spawn's own `--log-level warning`, and win.
    assert "GET /subjects 200" in served.log_path.read_text()
