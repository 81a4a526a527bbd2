"""A request id on every request and its log lines, one access line each, JSON logs to serve.

The id is the caller's `X-Request-ID` when it is short and plain (a proxy's or a client's id
then ties their logs to ours), else a new one; it is sent back in the same header.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
# Anything else could forge log lines or fields (newlines, quotes) or bloat them.
VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNMATCHED = "<unmatched>"  # the route of a request no rule matched (404, 405)
CONVERTER = re.compile(r"<(?:[^<>]*:)?(\w+)>")  # a rule's variable, with its converter if any
access_log = logging.getLogger("service.access")
# What every LogRecord has: the rest of a record's attributes are fields passed in `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id",
}


def request_id_from(header: str | None) -> str:
    """The caller's id when it is safe to log and echo, else a new one."""
    if header and VALID_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """This request's id; None outside a request or before it was given one."""
    return g.get("request_id") if has_request_context() else None


def route_label() -> str:
    """The URL rule this request matched (never the path, whose ids vary), or UNMATCHED."""
    rule = request.url_rule
    return plain_rule(rule.rule) if rule is not None else UNMATCHED


@functools.cache  # one entry per rule of the app
def plain_rule(rule: str) -> str:
    """The rule without converters: `/api/register/<entry_id>`, not `<int(min=1…):entry_id>`."""
    return CONVERTER.sub(r"<\1>", rule)


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request it was logged in (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `request_id`; never drops a record."""
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        line.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def use_json_logs(logger: logging.Logger | None = None) -> None:
    """Make the logger's handlers (the root's by default) write JSON lines with request ids."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())


def begin_request() -> None:
    """Before every other hook: give the request its id and note when it began."""
    g.request_id = request_id_from(request.headers.get(HEADER))
    g.log_started = time.perf_counter()


def finish_request(response: Response) -> Response:
    """Send the id back and write the request's access line."""
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[HEADER] = request_id
    started = g.get("log_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    principal = g.get("principal")
    fields = {
        "request_id": request_id,
        "method": request.method,
        "route": route_label(),
        "path": request.path,  # without the query string, which may carry what is not ours
        "status": response.status_code,
        "duration_ms": duration_ms,
        "actor": principal.name if principal is not None else None,
    }
    access_log.info("%s %s %s %s ms", request.method, request.path, response.status_code,
                    duration_ms, extra=fields)
    return response


def init_app(app: Flask) -> None:
    """Give every request an id and an access line."""
    # First, so the access check's own log lines (and its refusals) carry the id.
    app.before_request_funcs.setdefault(None, []).insert(0, begin_request)
    app.after_request(finish_request)
