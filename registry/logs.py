"""Structured request logs: one line per request, as JSON or as text (`--log-format`).

Each line carries the request id (echoed in `X-Request-Id`), route template, method, path,
status, duration_ms and `key`: the authenticated key's name when authentication put one in
the ASGI scope's state (`state["charter_key"]`), else null.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import Any, Literal

__all__ = ["LOG_FORMATS", "REQUEST_LOGGER", "configure_logging", "request_id"]

LogFormat = Literal["json", "text"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text")
REQUEST_LOGGER = "charter.requests"
# A client-sent id is kept when it is short and plain; anything else gets a fresh one.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_FIELDS = ("request_id", "route", "method", "path", "status", "duration_ms", "key")


def request_id(sent: str | None) -> str:
    if sent is not None and _SANE_ID.fullmatch(sent):
        return sent
    return secrets.token_hex(8)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} {record.levelname} {record.name}: "
        text += record.getMessage()
        extras = [f"{n}={getattr(record, n)}" for n in _FIELDS if hasattr(record, n)]
        if extras:
            text += " " + " ".join(extras)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(log_format: LogFormat, level: str) -> dict[str, Any]:
    """Send Charter's and uvicorn's logs to stderr in `log_format`; uvicorn's `log_config`.

    uvicorn's own access log is turned off: the request line comes from `registry.observe`.
    """
    formatter = "charter_json" if log_format == "json" else "charter_text"
    name = {"json": JsonFormatter, "text": TextFormatter}
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "charter_json": {"()": f"{__name__}.{name['json'].__name__}"},
            "charter_text": {"()": f"{__name__}.{name['text'].__name__}"},
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": formatter,
                       "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "charter": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
    return config
