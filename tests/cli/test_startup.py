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


def test_help_lists_every_command_without_loading_its_module() -> None:
    from cli.main import COMMANDS

    code = (
        "import sys\nfrom cli.main import COMMANDS, app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED=' + ','.join(m for m, _, _ in COMMANDS.values() if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert "LOADED=\n" in done.stdout
    for _, _, short in COMMANDS.values():
        assert short.split("\n")[0] in done.stdout


def test_the_help_table_matches_each_loaded_command() -> None:
    import typer

    from cli.main import COMMANDS, LazyGroup, app

    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    ctx = typer.Context(group)
    for name, (_, _, short) in COMMANDS.items():
        command = group.get_command(ctx, name)
        assert command is not None and command.name == name
        assert (command.help or "").split("\n\n")[0] == short


def test_a_subcommand_runs_through_the_lazy_group() -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["topic", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for sub in ("create", "list", "describe", "delete"):
        assert sub in result.output
    assert CliRunner().invoke(app, ["no-such-command"]).exit_code == 2
