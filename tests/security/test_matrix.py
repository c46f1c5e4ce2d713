"""Every route x {no credentials, wrong secret, reader, writer in prefix, writer outside
prefix, admin} against a real `charter serve --auth required`, on SQLite and PostgreSQL.

The writer's key is limited to `team-a.` subjects, topics and consumer groups: "writer in
prefix" acts on `team-a.` names, "writer outside prefix" on `team-b.` ones. Each case prepares
fresh names (as admin) for each principal, so every allowed call can succeed on its own.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from broker.record import ProducerRecord
from broker.wire import BATCH_MEDIA_TYPE, encode_produce_body
from tests.security.conftest import Server

JSON = "application/vnd.schemaregistry.v1+json"
PRINCIPALS = ("none", "wrong", "reader", "writer_in", "writer_out", "admin")
READ, WRITE, ADMIN = "read", "write", "admin"

Context = dict[str, Any]
Prepare = Callable[[httpx.Client, Context], None]


def schema_for(subject: str) -> str:
    name = "R_" + re.sub(r"\W", "_", subject)
    return json.dumps({"type": "record", "name": name, "fields": []})


def register(admin: httpx.Client, ctx: Context) -> None:
    r = admin.post(f"/subjects/{ctx['S']}/versions", json={"schema": schema_for(ctx["S"])})
    assert r.status_code == 200, r.text
    ctx["ID"] = r.json()["id"]
    ctx["GUID"] = r.json()["guid"]


def referenced(admin: httpx.Client, ctx: Context) -> None:
    """A subject for the case's schema to reference (`R`, in or outside the principal's team)."""
    r = admin.post(f"/subjects/{ctx['R']}/versions", json={"schema": schema_for(ctx["R"])})
    assert r.status_code == 200, r.text


def referencing(ctx: Context) -> dict[str, Any]:
    name = "R_" + re.sub(r"\W", "_", ctx["R"])
    schema = {"type": "record", "name": "Outer", "fields": [{"name": "r", "type": name}]}
    return {"schema": json.dumps(schema),
            "references": [{"name": name, "subject": ctx["R"], "version": 1}]}


def soft_delete(admin: httpx.Client, ctx: Context) -> None:
    register(admin, ctx)
    assert admin.delete(f"/subjects/{ctx['S']}").status_code == 200


def soft_delete_version(admin: httpx.Client, ctx: Context) -> None:
    register(admin, ctx)
    assert admin.delete(f"/subjects/{ctx['S']}/versions/1").status_code == 200


def subject_config(admin: httpx.Client, ctx: Context) -> None:
    r = admin.put(f"/config/{ctx['S']}", json={"compatibility": "FULL"})
    assert r.status_code == 200, r.text


def subject_mode(admin: httpx.Client, ctx: Context) -> None:
    r = admin.put(f"/mode/{ctx['S']}", json={"mode": "READWRITE"})
    assert r.status_code == 200, r.text


def global_config(admin: httpx.Client, ctx: Context) -> None:
    assert admin.put("/config", json={"compatibility": "BACKWARD"}).status_code == 200


def global_mode(admin: httpx.Client, ctx: Context) -> None:
    assert admin.put("/mode", json={"mode": "READWRITE"}).status_code == 200


def topic(admin: httpx.Client, ctx: Context) -> None:
    r = admin.post("/broker/topics", json={"name": ctx["T"]})
    assert r.status_code == 201, r.text


def member(admin: httpx.Client, ctx: Context) -> None:
    topic(admin, ctx)
    r = admin.post(f"/broker/groups/{ctx['G']}/members", json={"topics": [ctx["T"]]})
    assert r.status_code == 200, r.text
    ctx["M"] = r.json()["member_id"]
    ctx["GEN"] = r.json()["generation"]


def emptied_context(admin: httpx.Client, ctx: Context) -> None:
    """A context made by a registration whose subject is then deleted for good."""
    ctx["CTX"] = ".ctx-" + re.sub(r"\W", "-", ctx["S"])
    subject = f":{ctx['CTX']}:{ctx['S']}"
    r = admin.post(f"/subjects/{subject}/versions", json={"schema": schema_for(ctx["S"])})
    assert r.status_code == 200, r.text
    assert admin.delete(f"/subjects/{subject}").status_code == 200
    assert admin.delete(f"/subjects/{subject}?permanent=true").status_code == 200


def committed(admin: httpx.Client, ctx: Context) -> None:
    topic(admin, ctx)
    body = {"offsets": [{"topic": ctx["T"], "partition": 0, "offset": 0}]}
    r = admin.post(f"/broker/groups/{ctx['G']}/offsets", json=body)
    assert r.status_code == 204, r.text


DEK = "/dek-registry/v1/keks/{K}/deks/{S}"


def kek(admin: httpx.Client, ctx: Context) -> None:
    body = {"name": ctx["K"], "kmsType": "local-kms", "kmsKeyId": ctx["K"]}
    r = admin.post("/dek-registry/v1/keks", json=body)
    assert r.status_code == 200, r.text


def deleted_kek(admin: httpx.Client, ctx: Context) -> None:
    kek(admin, ctx)
    assert admin.delete(f"/dek-registry/v1/keks/{ctx['K']}").status_code == 204


def dek(admin: httpx.Client, ctx: Context) -> None:
    kek(admin, ctx)
    body = {"subject": ctx["S"], "encryptedKeyMaterial": "AAAA"}
    r = admin.post(f"/dek-registry/v1/keks/{ctx['K']}/deks", json=body)
    assert r.status_code == 200, r.text


def deleted_dek(admin: httpx.Client, ctx: Context) -> None:
    dek(admin, ctx)
    r = admin.delete(f"/dek-registry/v1/keks/{ctx['K']}/deks/{ctx['S']}")
    assert r.status_code == 204, r.text


def both(*steps: Prepare) -> Prepare:
    def run(admin: httpx.Client, ctx: Context) -> None:
        for step in steps:
            step(admin, ctx)

    return run


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    level: str
    ok: int = 200
    named: bool = True  # names a subject, topic or group (so outside the writer's prefix: 403)
    refused_in_prefix: bool = False  # the writer's in-prefix call still names an outside subject
    note: str = ""
    body: Callable[[Context], Any] | None = None
    raw: Callable[[Context], bytes] | None = None
    content_type: str = JSON
    prepare: Prepare | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.note if self.note else ''}"


def batch(ctx: Context) -> bytes:
    return encode_produce_body([ProducerRecord(b"v")], default_timestamp_ms=1)


CASES = [
    Case("GET", "/", READ, named=False),
    Case("GET", "/v1/metadata/id", READ, named=False),
    Case("GET", "/v1/metadata/version", READ, named=False),
    Case("GET", "/contexts", READ, named=False),
    Case("DELETE", "/contexts/{CTX}", ADMIN, ok=204, named=False, prepare=emptied_context),
    Case("GET", "/schemas/types", READ, named=False),
    Case("GET", "/subjects", READ, named=False),
    Case("POST", "/subjects/{S}", READ, prepare=register,
         body=lambda c: {"schema": schema_for(c["S"])}),
    Case("DELETE", "/subjects/{S}", WRITE, prepare=register),
    Case("DELETE", "/subjects/{S}?permanent=true", ADMIN, prepare=soft_delete),
    Case("GET", "/subjects/{S}/versions", READ, prepare=register),
    Case("GET", "/subjects/{S}/metadata", READ, prepare=register),
    Case("POST", "/subjects/{S}/versions", WRITE, body=lambda c: {"schema": schema_for(c["S"])}),
    Case("POST", "/subjects/{S}/versions", WRITE, prepare=referenced, body=referencing,
         note="referencing a subject of its team"),
    Case("POST", "/subjects/{S}/versions", WRITE, prepare=referenced, body=referencing,
         refused_in_prefix=True, note="referencing a subject outside its prefixes"),
    Case("POST", "/subjects/{S}", READ, prepare=referenced, body=referencing,
         refused_in_prefix=True, ok=404,
         note="looking up a schema referencing a subject outside its prefixes"),
    Case("GET", "/subjects/{S}/versions/1", READ, prepare=register),
    Case("GET", "/subjects/{S}/versions/1/schema", READ, prepare=register),
    Case("GET", "/subjects/{S}/versions/1/referencedby", READ, prepare=register),
    Case("DELETE", "/subjects/{S}/versions/1", WRITE, prepare=register),
    Case("DELETE", "/subjects/{S}/versions/1?permanent=true", ADMIN,
         prepare=soft_delete_version),
    Case("GET", "/schemas", READ, named=False),
    Case("GET", "/schemas/ids/{ID}", READ, prepare=register),
    Case("GET", "/schemas/guids/{GUID}", READ, prepare=register),
    Case("GET", "/schemas/guids/{GUID}/ids", READ, prepare=register),
    Case("GET", "/schemas/ids/{ID}/schema", READ, prepare=register),
    Case("GET", "/schemas/ids/{ID}/subjects", READ, prepare=register),
    Case("GET", "/schemas/ids/{ID}/versions", READ, prepare=register),
    Case("GET", "/config", READ, named=False),
    Case("PUT", "/config", ADMIN, named=False, body=lambda c: {"compatibility": "BACKWARD"}),
    Case("DELETE", "/config", ADMIN, named=False, prepare=global_config),
    Case("GET", "/config/{S}", READ, prepare=subject_config),
    Case("PUT", "/config/{S}", WRITE, body=lambda c: {"compatibility": "FULL"}),
    Case("DELETE", "/config/{S}", WRITE, prepare=subject_config),
    Case("GET", "/mode", READ, named=False),
    Case("PUT", "/mode", ADMIN, named=False, body=lambda c: {"mode": "READWRITE"}),
    Case("DELETE", "/mode", ADMIN, named=False, prepare=global_mode),
    Case("GET", "/mode/{S}", READ, prepare=subject_mode),
    Case("PUT", "/mode/{S}", ADMIN, body=lambda c: {"mode": "READWRITE"}),
    Case("DELETE", "/mode/{S}", ADMIN, prepare=subject_mode),
    Case("POST", "/compatibility/subjects/{S}/versions", WRITE, prepare=register,
         body=lambda c: {"schema": schema_for(c["S"])}),
    Case("POST", "/compatibility/subjects/{S}/versions/latest", WRITE, prepare=register,
         body=lambda c: {"schema": schema_for(c["S"])}),
    Case("GET", "/dek-registry/v1/keks", READ, named=False),
    Case("POST", "/dek-registry/v1/keks", WRITE, named=False,
         body=lambda c: {"name": c["K"], "kmsType": "local-kms", "kmsKeyId": c["K"]}),
    Case("GET", "/dek-registry/v1/keks/{K}", READ, named=False, prepare=kek),
    Case("PUT", "/dek-registry/v1/keks/{K}", WRITE, named=False, prepare=kek,
         body=lambda c: {"doc": "changed"}),
    Case("DELETE", "/dek-registry/v1/keks/{K}", WRITE, ok=204, named=False, prepare=kek),
    Case("DELETE", "/dek-registry/v1/keks/{K}?permanent=true", ADMIN, ok=204, named=False,
         prepare=deleted_kek),
    Case("POST", "/dek-registry/v1/keks/{K}/undelete", WRITE, ok=204, named=False,
         prepare=deleted_kek),
    Case("GET", "/dek-registry/v1/keks/{K}/deks", READ, named=False, prepare=dek),
    Case("POST", "/dek-registry/v1/keks/{K}/deks", WRITE, prepare=kek,
         body=lambda c: {"subject": c["S"], "encryptedKeyMaterial": "AAAA"}),
    Case("POST", DEK, WRITE, prepare=kek,
         body=lambda c: {"encryptedKeyMaterial": "AAAA"}),
    Case("GET", DEK, READ, prepare=dek),
    Case("DELETE", DEK, WRITE, ok=204, prepare=dek),
    Case("DELETE", DEK + "?permanent=true", ADMIN, ok=204, prepare=deleted_dek),
    Case("POST", DEK + "/undelete", WRITE, ok=204, prepare=deleted_dek),
    Case("GET", DEK + "/versions", READ, prepare=dek),
    Case("GET", DEK + "/versions/1", READ, prepare=dek),
    Case("DELETE", DEK + "/versions/1", WRITE, ok=204, prepare=dek),
    Case("DELETE", DEK + "/versions/1?permanent=true", ADMIN, ok=204, prepare=deleted_dek),
    Case("POST", DEK + "/versions/1/undelete", WRITE, ok=204, prepare=deleted_dek),
    Case("GET", "/broker/kafka", READ, named=False),
    Case("GET", "/broker/topics", READ, named=False),
    Case("POST", "/broker/topics", WRITE, ok=201, body=lambda c: {"name": c["T"]}),
    Case("GET", "/broker/topics/{T}", READ, prepare=topic),
    Case("PATCH", "/broker/topics/{T}", ADMIN, prepare=topic,
         body=lambda c: {"retention_ms": 3_600_000}),
    Case("DELETE", "/broker/topics/{T}", ADMIN, ok=204, prepare=topic),
    Case("POST", "/broker/topics/{T}/records", WRITE, prepare=topic, raw=batch,
         content_type=BATCH_MEDIA_TYPE),
    Case("GET", "/broker/topics/{T}/partitions/0/records?offset=0", READ, prepare=topic),
    Case("GET", "/broker/topics/{T}/partitions/0/offsets", READ, prepare=topic),
    Case("POST", "/broker/fetch", READ, prepare=topic,
         body=lambda c: {"positions": [{"topic": c["T"], "partition": 0, "offset": 0}]}),
    Case("GET", "/broker/groups", READ, named=False),
    Case("GET", "/broker/groups/{G}", READ, prepare=committed),
    Case("GET", "/broker/groups/{G}/lag", READ, prepare=committed),
    Case("DELETE", "/broker/groups/{G}", ADMIN, ok=204, prepare=committed),
    Case("POST", "/broker/groups/{G}/members", WRITE, prepare=topic,
         body=lambda c: {"topics": [c["T"]]}),
    # A group outside the key's group prefixes, for a topic inside its topic prefixes.
    Case("POST", "/broker/groups/{OG}/members", WRITE, prepare=topic, refused_in_prefix=True,
         body=lambda c: {"topics": [c["T"]]}, note="joining a group outside its prefixes"),
    Case("POST", "/broker/groups/{G}/members/{M}/heartbeat", WRITE, ok=204,
         prepare=member, body=lambda c: {"generation": c["GEN"]}),
    Case("POST", "/broker/groups/{G}/members/{M}/sync", WRITE, prepare=member),
    Case("DELETE", "/broker/groups/{G}/members/{M}", WRITE, ok=204, prepare=member),
    Case("POST", "/broker/groups/{G}/offsets", WRITE, ok=204, prepare=topic,
         body=lambda c: {"offsets": [{"topic": c["T"], "partition": 0, "offset": 0}]}),
    Case("POST", "/broker/groups/{OG}/offsets", WRITE, ok=204, prepare=topic,
         refused_in_prefix=True, note="committing for a group outside its prefixes",
         body=lambda c: {"offsets": [{"topic": c["T"], "partition": 0, "offset": 0}]}),
    # -- console pages: a reader may look and use the playground; prefixes hold there too
    Case("GET", "/ui/subjects/{S}", READ, prepare=register),
    Case("GET", "/ui/subjects/{S}/diff?from=1&to=1", READ, prepare=register),
    Case("POST", "/ui/subjects/{S}/playground", READ, prepare=register,
         raw=lambda c: ("schema=" + quote(schema_for(c["S"]))).encode(),
         content_type="application/x-www-form-urlencoded"),
    Case("GET", "/ui/topics/{T}", READ, prepare=topic),
    Case("GET", "/ui/topics/{T}/lag.json", READ, prepare=topic),
    Case("GET", "/ui/topics/{T}/charts.json", READ, prepare=topic),
]


def expected(case: Case, who: str) -> int:
    if who in ("none", "wrong"):
        return 401
    if who == "admin":
        return case.ok
    if case.level == ADMIN:
        return 403
    if who == "reader":
        return case.ok if case.level == READ else 403
    if who == "writer_out" and case.named:
        return 403
    if who == "writer_in" and case.refused_in_prefix:
        return 403
    return case.ok


def client_for(server: Server, who: str) -> httpx.Client:
    if who == "none":
        return httpx.Client(base_url=server.base_url, timeout=30.0)
    if who == "wrong":
        key, _ = server.credentials["writer"]
        return httpx.Client(base_url=server.base_url, auth=(key, "not-the-secret"), timeout=30.0)
    name = {"writer_in": "writer", "writer_out": "writer"}.get(who, who)
    return server.client(name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_route_by_principal(server: Server, case: Case) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", case.id.lower()).strip("-")
    got: dict[str, int] = {}
    want: dict[str, int] = {}
    with server.client("admin") as admin:
        for who in PRINCIPALS:
            team = "team-b" if who == "writer_out" else "team-a"
            ctx: Context = {"S": f"{team}.{slug}-{who}", "T": f"{team}.{slug}-{who}",
                            "G": f"{team}.g-{slug}-{who}", "OG": f"team-b.g-{slug}-{who}",
                            "K": f"k{zlib.crc32(slug.encode()):08x}_{who}"}
            # The subject a schema references: outside the team when the case says so.
            ctx["R"] = f"{'team-b' if case.refused_in_prefix else team}.r-{slug}-{who}"
            if case.prepare is not None:
                case.prepare(admin, ctx)
            path = case.path.format(**ctx)
            headers = {"content-type": case.content_type}
            content = None
            if case.raw is not None:
                content = case.raw(ctx)
            elif case.body is not None:

                content = json.dumps(case.body(ctx)).encode()
            with client_for(server, who) as client:
                r = client.request(case.method, path, content=content, headers=headers)
            got[who] = r.status_code
            want[who] = expected(case, who)
            if r.status_code in (401, 403):
                body = r.json()
                assert body["error_code"] == r.status_code * 100 + 1, body
                assert body["message"]
            if r.status_code == 401:
                challenges = r.headers.get_list("www-authenticate")
                assert 'Basic realm="charter"' in challenges
                assert 'Bearer realm="charter"' in challenges
    assert got == want


def test_health_needs_no_credentials(server: Server) -> None:
    assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200


def test_the_table_covers_every_route_of_the_app(tmp_path: Any) -> None:
    from starlette.routing import Route

    from broker import Broker
    from broker.http import create_router
    from registry import Settings, create_app
    from registry.app import build_registry
    from registry.console import create_console_router
    from registry.security.routes import RULES

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    broker = Broker(tmp_path / "broker")
    try:
        settings = Settings(data_dir=tmp_path)
        registry = build_registry(settings)
        console = create_console_router(registry.service, broker)
        app = create_app(settings, registry=registry,
                         extra_routers=[create_router(broker), console])
        served = {
            (method.upper(), shape(path))
            for path, operations in app.openapi()["paths"].items()
            for method in operations
        }
        served |= {  # bare Starlette routes (the schema-by-id hot path) are not in OpenAPI
            (method, shape(route.path))
            for route in app.routes
            if isinstance(route, Route) and route.include_in_schema
            for method in route.methods or ()
            if method != "HEAD"
        }
        # The console's pages are not in the document; the table rules those naming a
        # subject or topic (the others fall back to READ for GET).
        pages = {(method, shape(route.path)) for route in console.routes
                 if isinstance(route, Route) for method in route.methods or ()}
        registry.close()
    finally:
        broker.close()
    served.discard(("GET", "/health"))
    ruled = {(r.method, shape(r.template)) for r in RULES}
    tested = {(c.method, shape(re.sub(r"\?.*$", "", c.path)
                               .replace("/1", "/{v}").replace("/latest", "/{v}")
                               .replace("/partitions/0", "/partitions/{p}")))
              for c in CASES}
    assert served - ruled == set()
    assert ruled - served - pages == set()
    assert ruled - tested == set()


def test_a_prefix_key_is_held_to_qualified_names_in_every_url_form(server: Server) -> None:
    """Subject prefixes apply to the qualified name (`:.ctx:subject`), whether the context
    is in the subject or in a `/contexts/{ctx}/...` URL, and a schema id of another context
    (`?subject=:.ctx:`) is judged by that context's subjects."""
    schema = schema_for("team-a.ctx-guard")
    with server.client("admin") as admin:
        r = admin.post("/subjects/:.other:team-a.ctx-guard/versions", json={"schema": schema})
        assert r.status_code == 200, r.text
        other_id = r.json()["id"]
    with server.client("writer") as writer:
        for path in ("/subjects/:.other:team-a.ctx-guard/versions",
                     "/contexts/.other/subjects/team-a.ctx-guard/versions"):
            r = writer.post(path, json={"schema": schema})
            assert r.status_code == 403, (path, r.text)
        for path in (f"/schemas/ids/{other_id}?subject=:.other:",
                     f"/contexts/.other/schemas/ids/{other_id}"):
            assert writer.get(path).status_code == 403, path
        # In its own (default) context the same key may write it.
        r = writer.post("/subjects/team-a.ctx-guard/versions", json={"schema": schema})
        assert r.status_code == 200, r.text
