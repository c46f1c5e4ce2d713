"""The install test: a wheel built from a clean copy of the project serves on its own.

Real users install a wheel, not the source tree. This builds one (non-editable) from a copy of
the project's files, installs it into a fresh venv, deletes the copy, then runs that venv's
`charter serve` and registers a schema over HTTP. Every step has a timeout.

By default the wheel is built without build isolation and installed with `--no-deps`, and the
fresh venv borrows its third-party packages from the test venv through a `.pth` line: that keeps
the test to seconds while still proving the wheel carries every module, template and migration
(the project's own editable install is not visible there: a `.pth` line adds a directory to the
path but does not run that directory's `.pth` files). `CHARTER_INSTALL_FULL=1` installs the
dependencies from the package index instead (about two minutes, most of it pip downloading);
that run skips only when pip cannot reach the index. Deselect both with `-m "not install"`.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.spawn import free_port

ROOT = Path(__file__).resolve().parent.parent

# What pip prints when it cannot reach an index, as opposed to a build or resolution failure.
_OFFLINE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Max retries exceeded",
)

SCHEMA = {
    "type": "record",
    "name": "Installed",
    "namespace": "charter.test",
    "fields": [{"name": "id", "type": "string"}],
}


def _clean_env() -> dict[str, str]:
    """The caller's environment without anything that points at the project or its venv."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("CHARTER_")}


def _tail(output: str) -> str:
    return " ".join(output.split())[-300:]


def _run(command: list[str | Path], *, timeout_s: float, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        if any(sign in output for sign in _OFFLINE):
            pytest.skip(f"pip cannot reach the package index: {_tail(output)}")
        pytest.fail(f"{command[:4]} exited {done.returncode}:\n{output[-3000:]}")
    return done.stdout


def _skip_unless_index_reachable(python: Path, tmp_path: Path) -> None:
    """Fetch the build requirements once: if pip cannot, no later step can either."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    command = [str(python), "-m", "pip", "download", "--no-deps", "-d", str(tmp_path / "probe")]
    done = subprocess.run(
        [*command, *requires],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"pip cannot reach the package index: {_tail(done.stdout + done.stderr)}")


def _copy_project(dest: Path) -> None:
    """The files git knows of (tracked, or new and not ignored): no venv, caches or data."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@contextlib.contextmanager
def _serve(charter: Path, data_dir: Path, *, startup_s: float = 60.0) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data_dir.parent / "serve.log"
    command = [str(charter), "serve", "--port", str(port), "--data-dir", str(data_dir)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=data_dir.parent, env=_clean_env(), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                pytest.fail(f"charter serve exited {process.returncode}: {log_path.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"charter serve not healthy: {log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


FULL_INSTALL = os.environ.get("CHARTER_INSTALL_FULL") == "1"


def _borrow_dependencies(venv: Path) -> None:
    """Let the fresh venv import the test venv's third-party packages (not the project itself)."""
    ours = Path(sysconfig.get_paths()["purelib"])
    site_packages = next((venv / "lib").glob("python3*/site-packages"))
    (site_packages / "borrowed-dependencies.pth").write_text(f"{ours}\n")


@pytest.mark.install
@pytest.mark.timeout(720)
def test_a_wheel_installed_in_a_fresh_venv_serves(tmp_path: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    copy, dist, venv = tmp_path / "copy", tmp_path / "dist", tmp_path / "venv"
    copy.mkdir()
    _copy_project(copy)
    assert (copy / "alembic" / "env.py").is_file()

    # A venv made from within a venv is based on the base interpreter: it sees none of ours.
    # Without FULL_INSTALL the fresh venv needs no pip of its own: ours installs into it.
    venv_command = [sys.executable, "-m", "venv", venv]
    _run(venv_command if FULL_INSTALL else [*venv_command, "--without-pip"], timeout_s=120,
         cwd=tmp_path)
    python = venv / "bin" / "python"
    if FULL_INSTALL:
        _skip_unless_index_reachable(python, tmp_path)
        build = [python, "-m", "pip", "wheel", "--no-deps", "-w", dist, copy]
    else:
        build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "-w", dist, copy]
    _run(build, timeout_s=240, cwd=tmp_path)
    wheels = list(dist.glob("charter-*.whl"))
    assert [w.name for w in wheels] == [f"charter-{version}-py3-none-any.whl"]
    if FULL_INSTALL:
        _run([python, "-m", "pip", "install", wheels[0]], timeout_s=300, cwd=tmp_path)
    else:
        install = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps"]
        _run([*install, wheels[0]], timeout_s=120, cwd=tmp_path)
        _borrow_dependencies(venv)
    shutil.rmtree(copy)
    shutil.rmtree(dist)
    assert not copy.exists()

    # Everything charter serve needs comes from the venv: the packages and the migrations.
    probe = (
        "import json, broker, cli, compat, registry, registry.console, sdk\n"
        "from pathlib import Path\n"
        "from registry.db import alembic_dir\n"
        "console = Path(registry.console.__file__).parent\n"
        "print(json.dumps([m.__file__ for m in (broker, cli, compat, registry, sdk)]\n"
        "                 + [str(next(console.glob('templates/*.html'))), str(alembic_dir())]))"
    )
    where = json.loads(_run([python, "-c", probe], timeout_s=60, cwd=tmp_path))
    assert all(Path(path).is_relative_to(venv) for path in where), where
    assert Path(where[-1]).name == "charter_migrations"

    charter = venv / "bin" / "charter"
    assert _run([charter, "--version"], timeout_s=60, cwd=tmp_path) == f"charter {version}\n"

    data_dir = tmp_path / "data"
    with _serve(charter, data_dir) as url:
        subject = f"{url}/subjects/installed-value/versions"
        body = {"schema": json.dumps(SCHEMA)}
        created = httpx.post(subject, json=body, timeout=10.0)
        assert created.status_code == 200, created.text
        schema_id = created.json()["id"]
        fetched = httpx.get(f"{url}/schemas/ids/{schema_id}", timeout=10.0)
        assert fetched.status_code == 200, fetched.text
        assert json.loads(fetched.json()["schema"]) == SCHEMA
        latest = httpx.get(f"{subject}/latest", timeout=10.0).json()
        assert (latest["subject"], latest["version"], latest["id"]) == (
            "installed-value",
            1,
            schema_id,
        )
    assert (data_dir / "registry.db").is_file()


def test_version_comes_from_the_package_metadata_without_the_web_stack() -> None:
    probe = (
        "import sys\n"
        "from cli.main import app\n"
        "try:\n"
        "    app(['--version'])\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "heavy = [m for m in ('fastapi', 'uvicorn', 'sqlmodel', 'sqlalchemy', 'registry') "
        "if m in sys.modules]\n"
        "sys.stderr.write(','.join(heavy))\n"
        "raise SystemExit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"charter {importlib.metadata.version('charter')}\n",
        "",
    )
