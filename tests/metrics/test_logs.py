"""`charter serve --log-format json`: one JSON line per request, with the id the client saw."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from cli.spawn import spawn_serve


def request_lines(log: Path) -> list[dict]:
    out = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)  # every JSON-looking line must parse
            if entry.get("logger") == "charter.requests":
                out.append(entry)
    return out


def test_json_request_lines_carry_the_request_id(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    args = ["--log-format", "json", "--log-level", "info"]
    with spawn_serve(tmp_path / "data", log_path=log, extra_args=args) as url:
        mine = httpx.get(f"{url}/subjects/x/versions", headers={"X-Request-Id": "ci-run.42"})
        fresh = httpx.get(f"{url}/subjects", headers={"X-Request-Id": "bad id\twith spaces"})
        assert mine.headers["X-Request-Id"] == "ci-run.42"
        generated = fresh.headers["X-Request-Id"]
        assert generated != "bad id\twith spaces" and len(generated) == 16
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ids = {e["request_id"] for e in request_lines(log)}
            if {"ci-run.42", generated} <= ids:
                break
            time.sleep(0.1)
    lines = {e["request_id"]: e for e in request_lines(log)}
    line = lines["ci-run.42"]
    assert line["route"] == "/subjects/{subject}/versions"
    assert line["path"] == "/subjects/x/versions"
    assert (line["method"], line["status"]) == ("GET", 404)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert "key" in line and line["key"] is None  # no authentication in this serve
    assert lines[generated]["status"] == 200


def test_bad_log_format_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["serve", "--log-format", "xml", "--data-dir",
                                      str(tmp_path)])
    assert result.exit_code == 2
    assert "--log-format" in result.output
