"""History sources: each returns one `History` with compat's level and policy resolved."""

from __future__ import annotations

from cli.config import load_config
from cli.history import GitHistory, History
from cli.parsing import ContractParser
from cli.sources import GitRef
from compat import Level, Policy
from tests.cli.conftest import USER_V1, Repo


def _git(repo: Repo, ref: str) -> tuple[GitHistory, ContractParser]:
    parser = ContractParser(load_config(repo.root / "charter.yaml"))
    return GitHistory(GitRef(ref, repo.root), parser), parser


def test_git_history_at_a_ref_is_one_version_at_the_contracts_level(repo: Repo) -> None:
    source, parser = _git(repo, "HEAD~1")
    user = parser.config.contract("user-value")
    assert user is not None
    history = source.history(user)
    assert isinstance(history, History) and not history.new_subject
    assert (history.level, history.policy, history.labels) == (
        Level.BACKWARD, Policy.STRICT, ("git:HEAD~1",),
    )  # fmt: skip
    assert history.schemas[0].source.text == USER_V1
    assert source.label == "git:HEAD~1"


def test_git_history_of_a_transitive_level_is_every_distinct_version(repo: Repo) -> None:
    repo.write("charter.yaml", repo.root.joinpath("charter.yaml").read_text().replace(
        "compatibility: BACKWARD", "compatibility: FULL_TRANSITIVE"
    ))  # fmt: skip
    repo.commit("transitive")
    source, parser = _git(repo, "HEAD")
    user = parser.config.contract("user-value")
    assert user is not None
    history = source.history(user)
    assert history.level is Level.FULL_TRANSITIVE
    assert len(history.labels) == 2 and all(label.startswith("git:") for label in history.labels)
    assert history.schemas[0].source.text == USER_V1  # oldest first


def test_a_file_missing_at_the_ref_is_a_new_subject(repo: Repo) -> None:
    repo.write("schemas/extra.avsc", USER_V1)
    source, parser = _git(repo, "HEAD")
    extra = parser.config.contract("extra-value")
    assert extra is not None
    history = source.history(extra)
    assert history.new_subject and history.labels == () and history.level is Level.BACKWARD

