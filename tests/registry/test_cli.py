"""`charter serve` on a fresh data directory, and a CLI that starts without the web stack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from cli.main import app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_import_does_not_load_the_web_stack() -> None:
    code = (
        "import sys, cli.main; "
        "loaded = [m for m in ('fastapi', 'uvicorn', 'sqlmodel', 'registry') if m in sys.modules]; "
        "print(','.join(loaded))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_serve_help_lists_every_option_and_variable() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--host", "--port", "--data-dir", "--database-url", "--log-level"):
        assert option in result.output
    assert "CHARTER_DATA_DIR" in result.output


def test_serve_creates_the_data_dir_migrates_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    data_dir = tmp_path / "fresh" / "data"
    env = dict(os.environ, CHARTER_PORT=str(port), CHARTER_DATA_DIR=str(data_dir))
    charter = Path(sys.executable).with_name("charter")
    command = [str(charter)] if charter.exists() else [sys.executable, "-m", "cli.main"]
    proc = subprocess.Popen(
        [*command, "serve", "--log-level", "warning"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "charter serve did not start"
                time.sleep(0.2)
        assert health.status_code == 200
        assert (data_dir / "registry.db").is_file()
        config = httpx.get(f"http://127.0.0.1:{port}/config", timeout=5)
        assert config.json() == {"compatibilityLevel": "BACKWARD"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_reports_an_unreachable_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "serve",
            "--data-dir",
            str(tmp_path),
            "--database-url",
            "postgresql+psycopg://nobody@127.0.0.1:1/x",
        ],
    )
    assert result.exit_code == 1
    assert "cannot open the database" in result.output


def test_serve_refuses_an_unknown_log_level(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), "--log-level", "loud"])
    assert result.exit_code == 2
    assert "log-level" in result.output
