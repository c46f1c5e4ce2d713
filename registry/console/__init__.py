"""The web console at `/ui`: server-rendered pages over the registry service and `BrokerAPI`.

`create_console_router(service, broker)` returns the router `charter serve` mounts. Pages
are Jinja2 templates with autoescaping on (schemas and events are untrusted input) and a
little hand-written JavaScript (static/console.js): the search box, the playground's
level choice and the live lag table; every page works without it.
"""

from registry.console.routes import create_console_router

__all__ = ["create_console_router"]
