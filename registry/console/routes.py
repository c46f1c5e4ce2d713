"""The console's pages: `/ui`, subjects, version diffs, the playground, topics and events."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from broker.api import BrokerAPI
from broker.errors import BrokerError
from compat import Level, SchemaSource, SchemaType
from registry import errors
from registry.console.events import BROWSE_MAX, browse, schema_id_of
from registry.console.pretty import highlight, pretty, side_by_side
from registry.service import RegistryService

__all__ = ["create_console_router"]

STATIC = {"console.css": "text/css", "console.js": "text/javascript"}
FORM_BYTES_MAX = 3 * 512 * 1024  # a 512 KiB schema, percent-encoded
RECENT_RECORDS = 50


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("registry.console", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["highlight"] = highlight
    return env


def create_console_router(service: RegistryService, broker: BrokerAPI | None) -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False, default_response_class=HTMLResponse)
    env = _environment()

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def not_found(message: str) -> HTMLResponse:
        return page("error.html", 404, title="Not found", message=message)

    def level_of(subject: str) -> Level:
        # unset everywhere means the registry's default, as `View.config` has it
        return service.get_config(subject, default_to_global=True).level or Level.BACKWARD

    # ---- overview -------------------------------------------------------------------

    def overview() -> dict[str, Any]:
        latest = {v.subject: v for v in service.list_schemas(latest_only=True)}
        subjects = [
            {"name": s, "format": str(v.schema.schema_type), "version": v.version,
             "level": level_of(s)}
            for s, v in sorted(latest.items())
        ]
        topics, groups = [], []
        if broker is not None:
            for name in broker.list_topics():
                try:
                    t = broker.describe_topic(name)
                except BrokerError:
                    continue
                topics.append({
                    "name": name, "partitions": len(t.partitions),
                    "records": sum(p.log_end_offset - p.log_start_offset for p in t.partitions),
                    "contract": t.config.contract,
                })
            for group in broker.groups.list_groups():
                rows = broker.lag(group)
                groups.append({"name": group, "lag": sum(r.lag for r in rows),
                               "topics": sorted({r.topic for r in rows})})
        return {"subjects": subjects, "topics": topics, "groups": groups}

    @router.get("")
    async def index() -> HTMLResponse:
        data = await run_in_threadpool(overview)
        return page("index.html", title="Charter", **data)

    # ---- subjects -------------------------------------------------------------------

    def subject_data(subject: str) -> dict[str, Any]:
        versions = []
        for number in service.list_versions(subject):
            v = service.get_version(subject, number)
            shown = pretty(v.schema.text)
            versions.append({
                "version": number, "id": v.schema.id, "format": str(v.schema.schema_type),
                "references": v.schema.references, "lines": shown.lines,
                "referenced_by": service.referenced_by(subject, number),
            })
        return {
            "subject": subject, "versions": versions, "level": level_of(subject),
            "mode": service.get_mode(subject, default_to_global=True),
            "levels": [lv.value for lv in Level],
        }

    @router.get("/subjects/{subject}")
    async def subject_page(subject: str) -> HTMLResponse:
        try:
            data = await run_in_threadpool(subject_data, subject)
        except errors.NotFoundError as exc:
            return not_found(exc.message)
        return page("subject.html", title=subject, playground=None, **data)

    @router.post("/subjects/{subject}/playground")
    async def playground(subject: str, request: Request) -> HTMLResponse:
        """Check a pasted schema against the subject's history; nothing is registered.

        The form is URL-encoded (a file is read into the text area by the page's script)."""
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > FORM_BYTES_MAX:
                return page("error.html", 413, title="Too large",
                            message=f"The form is larger than {FORM_BYTES_MAX} bytes.")
        form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=8)
        schema = form.get("schema", [""])[0]
        schema_type = form.get("schema_type", ["AVRO"])[0]
        level = form.get("level", [""])[0]
        try:
            data = await run_in_threadpool(subject_data, subject)
        except errors.NotFoundError as exc:
            return not_found(exc.message)
        chosen = None
        outcome: dict[str, Any] = {"schema": schema, "schema_type": schema_type, "level": level}
        try:
            chosen = Level(level) if level else None
            source = SchemaSource(schema, SchemaType(schema_type))
            result = await run_in_threadpool(
                lambda: service.check_compatibility(subject, None, source, level=chosen)
            )
            outcome |= {"compatible": result.compatible, "checked": result.level.value,
                        "findings": result.findings, "error": None}
        except (errors.RegistryError, ValueError) as exc:
            message = exc.message if isinstance(exc, errors.RegistryError) else str(exc)
            outcome |= {"compatible": None, "checked": level or data["level"],
                        "findings": (), "error": message}
        status = 200 if outcome["error"] is None else 422
        return page("subject.html", status, title=subject, playground=outcome, **data)

    def diff_data(subject: str, old: int, new: int) -> dict[str, Any]:
        left = service.get_version(subject, old)
        right = service.get_version(subject, new)
        lp, rp = pretty(left.schema.text), pretty(right.schema.text)
        result = service.check_compatibility(subject, old, right.schema.source)
        by_line: dict[int, list[Any]] = {}
        unplaced = []
        for finding in result.findings:
            line = rp.line_of(finding.location)
            if line is None:
                unplaced.append(finding)
            else:
                by_line.setdefault(line, []).append(finding)
        return {
            "subject": subject, "old": left, "new": right,
            "rows": side_by_side(lp.lines, rp.lines), "by_line": by_line,
            "findings": result.findings, "unplaced": unplaced, "compatible": result.compatible,
            "level": result.level.value, "line_of": rp.line_of,
            "versions": service.list_versions(subject),
        }

    @router.get("/subjects/{subject}/diff")
    async def diff(
        subject: str,
        old: Annotated[int, Query(alias="from", ge=1)],
        new: Annotated[int, Query(alias="to", ge=1)],
    ) -> HTMLResponse:
        try:
            data = await run_in_threadpool(diff_data, subject, old, new)
        except errors.NotFoundError as exc:
            return not_found(exc.message)
        return page("diff.html", title=f"{subject}: v{old} → v{new}", **data)

    # ---- topics ---------------------------------------------------------------------

    def lag_rows(topic: str) -> list[dict[str, Any]]:
        assert broker is not None
        rows = []
        for group in broker.groups.list_groups():
            for r in broker.lag(group):
                if r.topic == topic:
                    rows.append({"group": group, "partition": r.partition,
                                 "committed": r.committed, "end": r.log_end_offset,
                                 "lag": r.lag})
        return rows

    def topic_data(
        topic: str, partition: int, offset: int | None, count: int
    ) -> dict[str, Any]:
        assert broker is not None
        described = broker.describe_topic(topic)
        seen: dict[int, int] = {}
        for p in described.partitions:
            first = max(p.log_start_offset, p.log_end_offset - RECENT_RECORDS)
            if first < p.log_end_offset:
                for r in broker.fetch(topic, p.partition, first,
                                      records_max=RECENT_RECORDS).records:
                    sid = schema_id_of(r.value)
                    if sid is not None:
                        seen[sid] = seen.get(sid, 0) + 1
        recent = []
        for sid, n in sorted(seen.items()):
            try:
                where = ", ".join(f"{s} v{v}" for s, v in service.versions_of_id(sid))
            except errors.NotFoundError:
                where = "not registered"
            recent.append({"id": sid, "records": n, "versions": where})
        partition = min(max(partition, 0), len(described.partitions) - 1)
        events, start, end = browse(service, broker, topic, partition, offset=offset,
                                    count=count)
        return {
            "topic": described, "recent": recent, "lags": lag_rows(topic),
            "events": events, "partition": partition, "offset": offset, "count": count,
            "start": start, "end": end, "browse_max": BROWSE_MAX,
        }

    @router.get("/topics/{topic}")
    async def topic_page(
        topic: str,
        partition: Annotated[int, Query(ge=0)] = 0,
        offset: Annotated[int | None, Query(ge=0)] = None,
        count: Annotated[int, Query(ge=1, le=BROWSE_MAX)] = 20,
    ) -> HTMLResponse:
        if broker is None:
            return not_found("this server runs no broker")
        try:
            data = await run_in_threadpool(topic_data, topic, partition, offset, count)
        except BrokerError as exc:
            return not_found(str(exc))
        return page("topic.html", title=topic, **data)

    @router.get("/topics/{topic}/lag.json", response_class=JSONResponse)
    async def topic_lag(topic: str) -> JSONResponse:
        if broker is None:
            return JSONResponse([], status_code=404)
        try:
            rows = await run_in_threadpool(lag_rows, topic)
        except BrokerError as exc:
            return JSONResponse({"message": str(exc)}, status_code=404)
        return JSONResponse(rows)

    # ---- static ---------------------------------------------------------------------

    @router.get("/static/{name}", response_class=Response)
    async def static(name: str) -> Response:
        media_type = STATIC.get(name)
        if media_type is None:
            return Response("not found", status_code=404, media_type="text/plain")
        body = resources.files("registry.console").joinpath("static", name).read_bytes()
        return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=300"})

    return router
