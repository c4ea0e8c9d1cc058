"""Typed readers for settings that come from the environment.

A bad value must stop the process at start with one line naming the variable,
not surface later as a confusing error deep inside a request. Every reader raises
``ConfigError``; ``manage.py``, ``wsgi.py``/``asgi.py`` and the Celery app turn it
into that single line and a non-zero exit.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """A setting read from the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"{name} is required but not set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(name: str, url: str) -> dict[str, Any]:
    """Parse a libpq-style URL into a Django DATABASES entry.

    Accepts ``postgres://`` and ``postgresql://``; a ``host`` query parameter may
    name a socket directory (the embedded server listens on one). Other query
    parameters (``sslmode`` and the like) pass through to psycopg.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{name} is malformed: {exc}") from None
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ConfigError(f"{name} is malformed: scheme must be postgresql://, not {parts.scheme or 'missing'!r}")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise ConfigError(f"{name} is malformed: it must name one database after the host")
    options = dict(parse_qsl(parts.query))
    host = options.pop("host", None) or (unquote(parts.hostname) if parts.hostname else "")
    if not host:
        raise ConfigError(f"{name} is malformed: it names no host or socket directory")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port) if port else options.pop("port", ""),
        "OPTIONS": options,
    }


def database_from_url_if_set(name: str, *, same_database_as: dict[str, Any]) -> dict[str, Any] | None:
    """A second URL to the same database (another role), or None when the variable is unset."""
    url = os.environ.get(name, "")
    if not url:
        return None
    parsed = database_from_url(name, url)
    if parsed["NAME"] != same_database_as["NAME"]:
        raise ConfigError(f"{name} must name the same database as DATABASE_URL ({same_database_as['NAME']!r})")
    return parsed


def redis_url(name: str, url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - accessing .port validates it
    except ValueError as exc:
        raise ConfigError(f"{name} is malformed: {exc}") from None
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"{name} is malformed: scheme must be redis://, rediss:// or unix://")
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{name} is malformed: it names no host")
    return url
