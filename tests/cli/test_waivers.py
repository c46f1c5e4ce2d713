"""Waivers: a live one reports the finding as waived and passes; an expired one fails, saying so."""

from __future__ import annotations

import datetime as dt

from tests.cli.conftest import USER_V3, Repo


def _fingerprint(repo: Repo) -> str:
    _, report = repo.check_json("--against", "git:HEAD")
    [finding] = [f for c in report["contracts"] for f in c["findings"]]
    return str(finding["fingerprint"])


def _waive(repo: Repo, fingerprint: str, expires: dt.date) -> None:
    config = repo.root.joinpath("charter.yaml").read_text()
    repo.write(
        "charter.yaml",
        config + f"waivers:\n  - fingerprint: {fingerprint}\n"
        f"    reason: consumers moved to v3 in PR 412\n    expires: {expires.isoformat()}\n",
    )


def test_live_waiver_passes_and_is_reported(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    fingerprint = _fingerprint(repo)
    _waive(repo, fingerprint, dt.date.today() + dt.timedelta(days=30))
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 0
    user = next(c for c in report["contracts"] if c["subject"] == "user-value")
    assert user["status"] == "waived"
    [finding] = user["findings"]
    assert finding["status"] == "waived"
    assert finding["waiver"]["reason"] == "consumers moved to v3 in PR 412"
    text = repo.charter(["check", "--against", "git:HEAD"]).stdout
    assert "waived until" in text and "passed" in text
    sarif = repo.charter(["check", "--against", "git:HEAD", "--format", "sarif"]).stdout
    assert '"suppressions"' in sarif
    github = repo.charter(["check", "--against", "git:HEAD", "--format", "github"]).stdout
    assert github.startswith("::notice file=schemas/user.avsc,line=5,col=20,")


def test_waiver_expiring_today_is_still_live(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    _waive(repo, _fingerprint(repo), dt.date.today())
    assert repo.check_json("--against", "git:HEAD")[0] == 0


def test_expired_waiver_fails_and_says_so(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    expired = dt.date.today() - dt.timedelta(days=1)
    _waive(repo, _fingerprint(repo), expired)
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 1
    [finding] = [f for c in report["contracts"] for f in c["findings"]]
    assert finding["status"] == "expired-waiver"
    text = repo.charter(["check", "--against", "git:HEAD"]).stdout
    assert f"waiver expired on {expired.isoformat()}" in text


def test_waiver_for_another_fingerprint_does_not_apply(repo: Repo) -> None:
    repo.write("schemas/user.avsc", USER_V3)
    _waive(repo, "ffffffffffffffff", dt.date.today() + dt.timedelta(days=30))
    code, report = repo.check_json("--against", "git:HEAD")
    assert code == 1 and report["unused_waivers"] == ["ffffffffffffffff"]
    text = repo.charter(["check", "--against", "git:HEAD"]).stdout
    assert "waiver ffffffffffffffff matches no finding" in text
