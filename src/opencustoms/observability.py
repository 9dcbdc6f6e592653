"""Structured JSON logs with request ids, and Prometheus metrics.

No secret is ever logged: values under keys that name a credential are
masked before a record is written, whatever code emitted it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram

_SECRET_KEYS = re.compile(r"(authorization|token|password|secret|api[_-]?key|cookie)", re.I)
_BEARER = re.compile(r"(Bearer\s+|oc_)[A-Za-z0-9_\-\.]{8,}")


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _BEARER.sub(lambda m: m.group(1) + "[redacted]", value)
    if isinstance(value, dict):
        return {
            k: "[redacted]" if _SECRET_KEYS.search(str(k)) else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_secrets(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        event[key] = "[redacted]" if _SECRET_KEYS.search(key) else _redact(event[key])
    return event


class JsonFormatter(logging.Formatter):
    """Standard-library records (uvicorn's own) as the same JSON lines as ours."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "event": record.getMessage(),
            "logger": record.name,
            "level": record.levelname.lower(),
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
        }
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(redact_secrets(None, "", event), default=str)


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging in JSON; its access log is off (requests are logged by our middleware)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }


class _StderrLogger:
    """Writes each rendered record to whatever sys.stderr is at that moment."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # traces first, so the redaction also covers what an exception's text holds
        structlog.processors.format_exc_info,
        redact_secrets,
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=lambda *args: _StderrLogger(),
        cache_logger_on_first_use=False,
    )


def logger(name: str = "opencustoms") -> Any:
    return structlog.get_logger(name)


class Metrics:
    """Request counts and latencies, in a registry of the app's own (not the global one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "opencustoms_http_requests_total",
            "HTTP requests served, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "opencustoms_http_request_duration_seconds",
            "Time to serve an HTTP request, by method and route.",
            ["method", "route"],
            registry=self.registry,
        )
