"""Structured logs: one JSON object a line, each with the request (or task) it belongs to.

python-json-logger does the formatting (a maintained formatter, so no hand-written JSON
escaping); this module adds the request id and the fields every line carries. The request
id comes from the proxy's ``X-Request-ID`` when it is a plain token, else a new one, and is
sent back in the answer's ``X-Request-ID``, so a line in these logs can be matched to a
user's report and to the proxy's log.

No personal data: the request line (masip.middleware.RequestIdMiddleware) names the URL
*pattern* and the view, not the path, so not even a case id is written; the user is their
numeric id. Messages elsewhere follow the rule that logs carry ids only.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("masip_request_id", default="")


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or task's) id on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)
