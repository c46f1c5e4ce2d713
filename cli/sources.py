"""Where old schemas come from: a git ref (no server needed) or a registry's subject history."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.errors import RegistryError, SourceError

__all__ = ["HISTORY_VERSIONS_MAX", "GitRef", "RegistryClient", "StoredVersion"]

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


@dataclass(frozen=True, slots=True)
class StoredVersion:
    subject: str
    version: int
    id: int
    schema: str
    schema_type: str
    references: tuple[tuple[str, str, int], ...]  # (name, subject, version)


class RegistryClient:
    """The few Confluent API calls the CI commands need, over httpx."""

    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        import httpx

        self.url = url.rstrip("/")
        self._httpx = httpx
        self._client = httpx.Client(
            base_url=self.url,
            timeout=timeout_s,
            headers={"Accept": "application/vnd.schemaregistry.v1+json, application/json"},
        )
        self._versions: dict[tuple[str, int], StoredVersion] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except self._httpx.HTTPError as exc:
            raise RegistryError(f"cannot reach the registry at {self.url}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            code = body.get("error_code") if isinstance(body, dict) else None
            message = body.get("message") if isinstance(body, dict) else response.text[:200]
            raise RegistryError(
                f"{method} {path} → HTTP {response.status_code}: {message}",
                status=response.status_code,
                code=code,
            )
        return body

    @staticmethod
    def _subject(subject: str) -> str:
        from urllib.parse import quote

        return quote(subject, safe="")

    def versions(self, subject: str) -> list[int] | None:
        """The live versions of a subject, oldest first; None when the subject does not exist."""
        try:
            body = self._request("GET", f"/subjects/{self._subject(subject)}/versions")
        except RegistryError as exc:
            if exc.code == 40401 or (exc.status == 404 and exc.code is None):
                return None
            raise
        return sorted(int(v) for v in body)

    def version(self, subject: str, version: int | str) -> StoredVersion:
        key = (subject, int(version)) if isinstance(version, int) else None
        if key is not None and key in self._versions:
            return self._versions[key]
        body = self._request("GET", f"/subjects/{self._subject(subject)}/versions/{version}")
        stored = StoredVersion(
            subject=body["subject"],
            version=int(body["version"]),
            id=int(body["id"]),
            schema=body["schema"],
            schema_type=body.get("schemaType") or "AVRO",
            references=tuple(
                (r["name"], r["subject"], int(r["version"])) for r in body.get("references") or ()
            ),
        )
        self._versions[(stored.subject, stored.version)] = stored
        return stored

    def config(self, subject: str) -> tuple[str | None, str | None]:
        """(compatibility level, JSON policy) for a subject, falling back to the global config."""
        try:
            body = self._request(
                "GET", f"/config/{self._subject(subject)}", params={"defaultToGlobal": "true"}
            )
        except RegistryError as exc:
            if exc.status == 404:
                return None, None
            raise
        return body.get("compatibilityLevel"), body.get("compatibilityPolicy")

    def lookup(self, subject: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The registered version equal to `body`, or None (subject or schema not found)."""
        try:
            found: dict[str, Any] = self._request(
                "POST", f"/subjects/{self._subject(subject)}", json=body
            )
        except RegistryError as exc:
            if exc.status == 404:
                return None
            raise
        return found

    def register(self, subject: str, body: dict[str, Any]) -> int:
        answer = self._request("POST", f"/subjects/{self._subject(subject)}/versions", json=body)
        return int(answer["id"])

    def subjects(self) -> list[str]:
        return list(self._request("GET", "/subjects"))

    def mode(self) -> str:
        return str(self._request("GET", "/mode").get("mode"))

    def set_mode(self, mode: str, *, force: bool = False) -> None:
        params = {"force": "true"} if force else None
        self._request("PUT", "/mode", json={"mode": mode}, params=params)

    def subject_config(self, subject: str) -> dict[str, Any] | None:
        """The subject's own config, or None when it has none (it follows the global one)."""
        try:
            body: dict[str, Any] = self._request("GET", f"/config/{self._subject(subject)}")
        except RegistryError as exc:
            if exc.status == 404:
                return None
            raise
        return body

    def put_subject_config(self, subject: str, body: dict[str, Any]) -> None:
        self._request("PUT", f"/config/{self._subject(subject)}", json=body)

    def import_version(self, stored: StoredVersion) -> int:
        """Register `stored` keeping its id and version (the registry must be in IMPORT mode)."""
        body: dict[str, Any] = {
            "schema": stored.schema,
            "id": stored.id,
            "version": stored.version,
        }
        if stored.schema_type != "AVRO":
            body["schemaType"] = stored.schema_type
        if stored.references:
            body["references"] = [
                {"name": n, "subject": s, "version": v} for n, s, v in stored.references
            ]
        answer = self._request(
            "POST", f"/subjects/{self._subject(stored.subject)}/versions", json=body
        )
        return int(answer["id"])
