"""The console's pages: `/ui`, subjects, version diffs, the playground, topics and events.

Every page shows what the request's principal may see (the security middleware leaves it in
`request.state`): listings are filtered and controls offered through the guard's own `decide`
and route table, so the console holds no second copy of the rules.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from broker.contracts import Contracts
from broker.errors import BrokerError
from compat import Level, SchemaSource, SchemaType
from registry import errors
from registry.console.events import (
    BROWSE_MAX,
    BadPosition,
    ConsoleBroker,
    Position,
    browse,
    iso_utc,
    parse_position,
    writer_of,
)
from registry.console.pretty import Pretty, highlight, pretty, pretty_proto, side_by_side
from registry.console.samples import SAMPLE_INTERVAL_S_DEFAULT, Sampler
from registry.contracts import RegistryContracts
from registry.security import Action, Kind, Principal, decide
from registry.security.errors import Forbidden
from registry.security.guard import ANONYMOUS
from registry.security.routes import rule_for
from registry.service import RegistryService

__all__ = ["create_console_router"]

STATIC = {"console.css": "text/css", "console.js": "text/javascript"}
FORM_BYTES_MAX = 3 * 512 * 1024  # a 512 KiB schema, percent-encoded
RECENT_RECORDS = 50
CHART_TOPICS_MAX = 12  # series on the overview's produce-rate chart


def principal_of(request: Request) -> Principal:
    """Who asks: what the security middleware authenticated (anonymous admin without auth)."""
    found = getattr(request.state, "charter_principal", None)
    return found if isinstance(found, Principal) else ANONYMOUS


def allowed(principal: Principal, action: Action, kind: Kind, name: str | None) -> bool:
    try:
        decide(principal, action, kind, [] if name is None else [name])
    except Forbidden:
        return False
    return True


def may_check(principal: Principal, subject: str) -> bool:
    """Whether the playground's POST would be let through for this subject."""
    rule = rule_for("POST", f"/ui/subjects/{quote(subject, safe='')}/playground").rule
    return allowed(principal, rule.action, rule.kind, subject)


def shown(text: str, schema_type: str) -> Pretty:
    return pretty_proto(text) if schema_type == "PROTOBUF" else pretty(text)


def anchored(lines: Pretty, findings: Any) -> tuple[dict[int, list[Any]], list[Any]]:
    """Findings by the line they concern, and those no line holds."""
    by_line: dict[int, list[Any]] = {}
    unplaced = []
    for finding in findings:
        line = lines.line_of(finding.location)
        if line is None:
            unplaced.append(finding)
        else:
            by_line.setdefault(line, []).append(finding)
    return by_line, unplaced


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("registry.console", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["highlight"] = highlight
    return env


def create_console_router(
    service: RegistryService,
    broker: ConsoleBroker | None,
    *,
    sample_interval_s: float = SAMPLE_INTERVAL_S_DEFAULT,
    contracts: Contracts | None = None,
) -> APIRouter:
    """The console's router; with a broker, its lifespan samples the broker for the charts
    every `sample_interval_s`. The event browser marks the records `contracts` (the broker's,
    domain rules included) would refuse; without it, those that fail their schema."""
    held_to = contracts if contracts is not None else RegistryContracts(service)
    sampler = Sampler(broker, sample_interval_s) if broker is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(sampler.run()) if sampler is not None else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    router = APIRouter(prefix="/ui", include_in_schema=False, default_response_class=HTMLResponse,
                       lifespan=lifespan)
    env = _environment()

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    def not_found(message: str) -> HTMLResponse:
        return page("error.html", 404, title="Not found", message=message)

    def level_of(subject: str) -> Level:
        # unset everywhere means the registry's default, as `View.config` has it
        return service.get_config(subject, default_to_global=True).level or Level.BACKWARD

    # ---- overview -------------------------------------------------------------------

    def overview(principal: Principal) -> dict[str, Any]:
        latest = {v.subject: v for v in service.list_schemas(latest_only=True)
                  if allowed(principal, Action.READ, Kind.SUBJECT, v.subject)}
        subjects = [
            {"name": s, "format": str(v.schema.schema_type), "version": v.version,
             "level": level_of(s)}
            for s, v in sorted(latest.items())
        ]
        topics, groups = [], []
        if broker is not None:
            for name in broker.list_topics():
                if not allowed(principal, Action.READ, Kind.TOPIC, name):
                    continue
                try:
                    t = broker.describe_topic(name)
                except BrokerError:
                    continue
                topics.append({
                    "name": name, "partitions": len(t.partitions),
                    "records": sum(p.log_end_offset - p.log_start_offset for p in t.partitions),
                    "contract": t.config.contract,
                })
            limited = principal.limits(Kind.TOPIC)
            for group in broker.groups.list_groups():
                if not allowed(principal, Action.READ, Kind.GROUP, group):
                    continue
                rows = [r for r in broker.lag(group)
                        if allowed(principal, Action.READ, Kind.TOPIC, r.topic)]
                if rows or not limited:  # a group on none of the key's topics is not its own
                    groups.append({"name": group, "lag": sum(r.lag for r in rows),
                                   "topics": sorted({r.topic for r in rows})})
        return {"subjects": subjects, "topics": topics, "groups": groups,
                "charts": sampler is not None}

    @router.get("")
    async def index(request: Request) -> HTMLResponse:
        data = await run_in_threadpool(overview, principal_of(request))
        return page("index.html", title="Charter", **data)

    @router.get("/charts.json", response_class=JSONResponse)
    async def overview_charts(request: Request) -> JSONResponse:
        """Produce rate per topic the key may see, over the sampler's window."""
        if sampler is None:
            return JSONResponse({"message": "this server runs no broker"}, status_code=404)
        principal = principal_of(request)
        names = [t for t in sampler.topics() if allowed(principal, Action.READ, Kind.TOPIC, t)]
        rates = {t: sampler.produce_rate(t) for t in names}
        # the busiest topics when there are more than one chart can show
        busiest = sorted(names, key=lambda t: -sum(v for _, v in rates[t]))[:CHART_TOPICS_MAX]
        return JSONResponse({
            "interval_s": sampler.interval_s, "window_s": sampler.window_s,
            "produce": [{"name": t, "points": rates[t]} for t in sorted(busiest)],
        })

    # ---- subjects -------------------------------------------------------------------

    def subject_data(subject: str, principal: Principal) -> dict[str, Any]:
        versions = []
        for number in service.list_versions(subject):
            v = service.get_version(subject, number)
            fmt = str(v.schema.schema_type)
            versions.append({
                "version": number, "id": v.schema.id, "format": fmt, "guid": v.schema.guid,
                "references": v.schema.references, "lines": shown(v.schema.text, fmt).lines,
                "referenced_by": service.referenced_by(subject, number),
            })
        return {
            "subject": subject, "versions": versions, "level": level_of(subject),
            "mode": service.get_mode(subject, default_to_global=True),
            "levels": [lv.value for lv in Level],
            "may_check": may_check(principal, subject), "who": principal,
        }

    @router.get("/subjects/{subject}")
    async def subject_page(subject: str, request: Request) -> HTMLResponse:
        try:
            data = await run_in_threadpool(subject_data, subject, principal_of(request))
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
            data = await run_in_threadpool(subject_data, subject, principal_of(request))
        except errors.NotFoundError as exc:
            return not_found(exc.message)
        if not data["may_check"]:  # the guard refuses it first; this is for a guard-less app
            return page("error.html", 403, title="Forbidden",
                        message="This key may not check schemas against this subject.")
        chosen = None
        outcome: dict[str, Any] = {"schema": schema, "schema_type": schema_type, "level": level,
                                   "lines": (), "by_line": {}}
        try:
            chosen = Level(level) if level else None
            source = SchemaSource(schema, SchemaType(schema_type))
            result = await run_in_threadpool(
                lambda: service.check_compatibility(subject, None, source, level=chosen)
            )
            lines = shown(schema, source.schema_type.value)
            by_line, _ = anchored(lines, result.findings)
            outcome |= {"compatible": result.compatible, "checked": result.level.value,
                        "findings": result.findings, "error": None, "lines": lines.lines,
                        "by_line": by_line, "line_of": lines.line_of}
        except (errors.RegistryError, ValueError) as exc:
            message = exc.message if isinstance(exc, errors.RegistryError) else str(exc)
            outcome |= {"compatible": None, "checked": level or data["level"],
                        "findings": (), "error": message}
        status = 200 if outcome["error"] is None else 422
        return page("subject.html", status, title=subject, playground=outcome, **data)

    def diff_data(subject: str, old: int, new: int) -> dict[str, Any]:
        left = service.get_version(subject, old)
        right = service.get_version(subject, new)
        fmt = str(right.schema.schema_type)
        lp = shown(left.schema.text, str(left.schema.schema_type))
        rp = shown(right.schema.text, fmt)
        result = service.check_compatibility(subject, old, right.schema.source)
        by_line, unplaced = anchored(rp, result.findings)
        return {"format": fmt,
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

    def lag_rows(topic: str, principal: Principal) -> list[dict[str, Any]]:
        """The lag of each group the principal may see on `topic` (group names are
        narrowed by `decide` where the key's role has group prefixes)."""
        assert broker is not None
        rows = []
        for group in broker.groups.list_groups():
            if not allowed(principal, Action.READ, Kind.GROUP, group):
                continue
            for r in broker.lag(group):
                if r.topic == topic:
                    rows.append({"group": group, "partition": r.partition,
                                 "committed": r.committed, "end": r.log_end_offset,
                                 "lag": r.lag})
        return rows

    def topic_data(topic: str, fields: dict[str, str | None], principal: Principal
                   ) -> tuple[dict[str, Any], int]:
        assert broker is not None
        described = broker.describe_topic(topic)
        seen: dict[int, int] = {}
        for p in described.partitions:
            first = max(p.log_start_offset, p.log_end_offset - RECENT_RECORDS)
            if first < p.log_end_offset:
                for r in broker.fetch(topic, p.partition, first, records_max=RECENT_RECORDS,
                                      observe=False).records:
                    writer = writer_of(service, r)
                    sid = writer.schema_id if writer is not None else None
                    if sid is not None:
                        seen[sid] = seen.get(sid, 0) + 1
        recent = []
        for sid, n in sorted(seen.items()):
            try:
                pairs = service.versions_of_id(sid)
                where = ", ".join(f"{s} v{v}" for s, v in pairs
                                  if allowed(principal, Action.READ, Kind.SUBJECT, s))
                where = where or "subjects this key may not read"
            except errors.NotFoundError:
                where = "not registered"
            recent.append({"id": sid, "records": n, "versions": where})
        problem: BadPosition | None = None
        try:
            position = parse_position(len(described.partitions), **fields)
        except BadPosition as exc:
            problem, position = exc, Position()
        browsed = browse(service, broker, topic, position, principal, held_to)
        form = {k: (v or "").strip() for k, v in fields.items()}
        if problem is None:
            form |= {"partition": str(position.partition), "count": str(position.count)}
        return {
            "topic": described, "recent": recent, "lags": lag_rows(topic, principal),
            "events": browsed.events, "position": position, "page": browsed, "form": form,
            "problem": problem, "browse_max": BROWSE_MAX, "charts": sampler is not None,
            "at_iso": iso_utc(position.at_ms) if position.at_ms is not None else None,
        }, 400 if problem is not None else 200

    @router.get("/topics/{topic}")
    async def topic_page(
        topic: str,
        request: Request,
        partition: str | None = None,
        offset: str | None = None,
        at: str | None = None,
        count: str | None = None,
    ) -> HTMLResponse:
        """Fields arrive as text and are checked here, so a bad one is shown on the page
        beside the form rather than answered with a bare validation error."""
        if broker is None:
            return not_found("this server runs no broker")
        fields = {"partition": partition, "offset": offset, "at": at, "count": count}
        try:
            data, status = await run_in_threadpool(topic_data, topic, fields,
                                                   principal_of(request))
        except BrokerError as exc:
            return not_found(str(exc))
        return page("topic.html", status, title=topic, **data)

    @router.get("/topics/{topic}/charts.json", response_class=JSONResponse)
    async def topic_charts(topic: str, request: Request) -> JSONResponse:
        """Produce rate and each group's lag on `topic`, over the sampler's window."""
        if sampler is None or broker is None:
            return JSONResponse({"message": "this server runs no broker"}, status_code=404)
        try:
            await run_in_threadpool(broker.describe_topic, topic)
        except BrokerError as exc:
            return JSONResponse({"message": str(exc)}, status_code=404)
        return JSONResponse({
            "interval_s": sampler.interval_s, "window_s": sampler.window_s,
            "produce": [{"name": topic, "points": sampler.produce_rate(topic)}],
            "lag": [{"name": g, "points": p} for g, p in sampler.lag(topic).items()
                    if allowed(principal_of(request), Action.READ, Kind.GROUP, g)],
        })

    @router.get("/topics/{topic}/lag.json", response_class=JSONResponse)
    async def topic_lag(topic: str, request: Request) -> JSONResponse:
        if broker is None:
            return JSONResponse([], status_code=404)
        try:
            rows = await run_in_threadpool(lag_rows, topic, principal_of(request))
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
