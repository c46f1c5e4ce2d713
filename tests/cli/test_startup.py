"""The CI commands must not pay for the web stack: no fastapi, uvicorn or sqlmodel imported;
nor for the SDK unless they talk to a registry."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.cli.conftest import Repo

PROBE = """
import sys
from cli.main import app
try:
    app(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = [m for m in ("fastapi", "uvicorn", "sqlmodel", "registry", "sdk") if m in sys.modules]
sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
raise SystemExit(code)
"""


def _heavy(repo: Repo, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")},
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("HEAVY="))
    return done.returncode, line.removeprefix("HEAVY=")


def test_check_against_git_and_help_do_not_import_the_web_stack(repo: Repo) -> None:
    assert _heavy(repo, "--help") == (0, "")
    assert _heavy(repo, "check", "--against", "git:HEAD~1") == (0, "")
    assert _heavy(repo, "check", "--against", "git:HEAD~1", "--format", "sarif") == (0, "")
    assert _heavy(repo, "diff", "schemas/user.avsc", "schemas/user.avsc") == (0, "")
