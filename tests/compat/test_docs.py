"""`docs/compatibility.md` lists exactly the rule ids the code can emit."""

from __future__ import annotations

import re
from pathlib import Path

from compat.catalog import all_rules, render_markdown

DOC = Path(__file__).parents[2] / "docs" / "compatibility.md"


def test_doc_is_current() -> None:
    assert DOC.read_text() == render_markdown(), "run `make docs` to regenerate it"


def test_doc_lists_every_rule_and_no_other() -> None:
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", DOC.read_text(), flags=re.M))
    assert documented == set(all_rules())


def test_every_rule_id_in_code_is_in_the_catalogue() -> None:
    """Rule ids appear in code only as catalogue keys, so none escapes the documentation."""
    root = Path(__file__).parents[2] / "compat"
    known = set(all_rules())
    for path in root.rglob("*.py"):
        text = path.read_text()
        for literal in re.findall(r"\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\"", text):
            if literal in {"BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"}:
                continue
            if re.search(rf"^{literal}\b", text, flags=re.M):
                continue  # a module-level name listed in __all__, not a rule id
            assert literal in known, f"{path.name}: {literal} is not a catalogued rule id"
