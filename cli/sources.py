"""Reading a repository's files as they were at a git ref (no server needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cli.errors import SourceError

__all__ = ["HISTORY_VERSIONS_MAX", "GitRef"]

HISTORY_VERSIONS_MAX = 100  # commits read for a transitive level against a git ref


class GitRef:
    """Reads files as they were at one git ref, relative to the config's directory."""

    def __init__(self, ref: str, root: Path) -> None:
        self.ref = ref
        self.root = root
        inside = self._git("rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0:
            raise SourceError(f"--against git:{ref} needs a git repository; {root} is not in one")
        probe = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if probe.returncode != 0:
            raise SourceError(
                f"git ref {ref!r} does not name a commit in {root} "
                "(in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)"
            )

    def _git(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(["git", *args], cwd=self.root, capture_output=True, check=False)
        except OSError as exc:
            raise SourceError(f"cannot run git: {exc}") from None

    def read(self, relative: str, at: str | None = None) -> str | None:
        """The file's text at the ref (or commit `at`), or None when it did not exist there."""
        shown = self._git("show", f"{at or self.ref}:./{relative}")
        if shown.returncode != 0:
            message = shown.stderr.decode(errors="replace")
            if "does not exist" in message or "exists on disk, but not in" in message:
                return None
            raise SourceError(f"git show {at or self.ref}:{relative} failed: {message.strip()}")
        try:
            return shown.stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError(f"{relative} at {self.ref} is not UTF-8 text") from None

    def history(self, relative: str) -> list[tuple[str, str]]:
        """Every distinct text of the file in the commits up to the ref, oldest first, as
        (short commit, text); at most `HISTORY_VERSIONS_MAX` of the newest."""
        log = self._git(
            "log", "--format=%h", f"-n{HISTORY_VERSIONS_MAX}", self.ref, "--", f"./{relative}"
        )
        if log.returncode != 0:
            raise SourceError(f"git log {self.ref} -- {relative} failed: {log.stderr.decode()}")
        versions: list[tuple[str, str]] = []
        seen: set[str] = set()
        for commit in reversed(log.stdout.decode().split()):
            text = self.read(relative, commit)
            if text is not None and text not in seen:
                seen.add(text)
                versions.append((commit, text))
        return versions
