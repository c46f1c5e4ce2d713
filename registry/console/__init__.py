"""The web console at `/ui`: server-rendered pages over the registry service and `BrokerAPI`.

`create_console_router(service, broker, sample_interval_s=…)` returns the router `charter
serve` mounts; its lifespan samples the broker for the charts (`samples`). Pages are Jinja2
templates with autoescaping on (schemas and events are untrusted input) and a little
hand-written JavaScript (static/console.js): the search box, loading a file into the
playground, the live lag table and the SVG charts; every page but the charts works without it.

    routes    the pages and their JSON, filtered to what the request's principal may see
    events    the event browser: latest N, from an offset or a time; the writer schema found
    decoding  payloads decoded with their writer schema (Avro, JSON, Protobuf)
    pretty    numbered, highlighted schema lines (JSON and .proto), finding lines, diffs
    samples   the bounded ring of lag and log-end samples behind the charts
"""

from registry.console.routes import create_console_router

__all__ = ["create_console_router"]
