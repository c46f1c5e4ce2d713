"""The README's "Charter in CI" section, run as written: same config, same change, same output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"

ORDER_V1 = """{
  "type": "record",
  "name": "Order",
  "namespace": "com.acme",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "amount_cents", "type": "long"}
  ]
}
"""
ORDER_V2 = ORDER_V1.replace(
    '{"name": "amount_cents", "type": "long"}',
    '{"name": "amount_cents", "type": "int"},\n    {"name": "customer", "type": "string"}',
)


def section() -> str:
    text = README.read_text()
    start = text.index("## Charter in CI")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_check_output_is_what_charter_prints(tmp_path: Path) -> None:
    ci = section()
    config = re.search(r"```yaml\n(.*?)```", ci, re.S)
    shown = re.search(r"```text\n\$ (charter [^\n]*)\n(.*?)```", ci, re.S)
    assert config and shown
    (tmp_path / "charter.yaml").write_text(config.group(1))
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas/order.avsc").write_text(ORDER_V1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHARTER_", "GIT_"))}
    identity = ["-c", "user.email=ci@example.invalid", "-c", "user.name=ci"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*identity, "commit", "-qm", "v1"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env=env)
    (tmp_path / "schemas/order.avsc").write_text(ORDER_V2)

    charter = [sys.executable, "-m", "cli.main", *shown.group(1).split()[1:]]
    result = subprocess.run(charter, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stdout.splitlines() == shown.group(2).splitlines()
