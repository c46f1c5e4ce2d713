"""Fixtures: a real `charter serve --auth required` per backend, with keys made by the CLI.

Each backend (SQLite in the data directory, a scratch PostgreSQL database) gets one server for
the session, started as the console script with an OIDC JWKS file; its keys come from
`charter keys create`, exactly as an operator makes them. Tokens are signed with the test
JWKS's private key, which never leaves the test process.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.interop.server import (
    _clean_env,
    charter_executable,
    free_port,
    scratch_postgres_database,
    skip_without_postgres,
    stop,
    wait_healthy,
)

ISSUER = "https://issuer.test"
AUDIENCE = "charter-test"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@dataclass
class Signer:
    key: RSAKey
    jwks_path: Path

    def token(self, claims: dict[str, Any] | None = None, *, key: RSAKey | None = None,
              **overrides: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ci-bot", "iat": now, "exp": now + 600,
                "charter_role": "writer"}
        body.update(claims or {})
        body.update(overrides)
        body = {k: v for k, v in body.items() if v is not None}
        signing = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signing.kid}, body, signing)


@pytest.fixture(scope="session")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    return Signer(key, path)


def charter(*args: str, env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [charter_executable(), *args], capture_output=True, text=True, timeout=120,
        env={**_clean_env(), **(env or {})}, input=stdin,
    )


@dataclass
class Server:
    backend: str
    base_url: str
    data_dir: Path
    log_path: Path
    db_args: list[str]
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def client(self, who: str | None = "admin") -> httpx.Client:
        auth = self.credentials[who] if who else None
        return httpx.Client(base_url=self.base_url, auth=auth, timeout=30.0)

    def create_key(self, name: str, *args: str) -> tuple[str, str]:
        done = charter("keys", "create", name, *args, *self.db_args)
        assert done.returncode == 0, done.stderr
        key, _, secret = done.stdout.strip().splitlines()[-1].partition(":")
        self.credentials[name] = (key, secret)
        return key, secret

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def _database(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
    else:
        with scratch_postgres_database("charter_security") as url:
            yield url


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           signer: Signer) -> Iterator[Server]:
    backend: str = request.param
    if backend == "postgres":
        skip_without_postgres()
    work = tmp_path_factory.mktemp(f"security-{backend}")
    data_dir = work / "data"
    with _database(backend) as url:
        db_args = ["--data-dir", str(data_dir)] + (["--database-url", url] if url else [])
        port = free_port()
        srv = Server(backend, f"http://127.0.0.1:{port}", data_dir, work / "server.log", db_args)
        srv.create_key("admin", "--role", "admin")
        srv.create_key("reader", "--role", "reader")
        srv.create_key("writer", "--role", "writer", "--subject-prefix", "team-a.",
                       "--topic-prefix", "team-a.", "--group-prefix", "team-a.")
        command = [
            charter_executable(), "serve", "--host", "127.0.0.1", "--port", str(port),
            *db_args, "--log-level", "info", "--auth", "required",
            "--oidc-jwks", str(signer.jwks_path), "--oidc-issuer", ISSUER,
            "--oidc-audience", AUDIENCE,
        ]
        with srv.log_path.open("wb") as log:
            srv.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                           env=_clean_env())
        try:
            wait_healthy(srv.base_url, srv.process, srv.log_path)
            yield srv
        finally:
            stop(srv.process)
