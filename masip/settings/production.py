"""Production: everything secret or site-specific must come from the environment."""

from __future__ import annotations

import os

from masip.settings.base import *  # noqa: F403
from masip.settings.env import ConfigError, env_bool, env_int, env_list, env_str

if not os.environ.get("SECRET_KEY"):
    raise ConfigError("SECRET_KEY is required in production but not set")
SECRET_KEY = env_str("SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ConfigError("SECRET_KEY is too weak: use at least 50 random characters")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS is required in production but not set")

MASIP_REQUIRE_MFA = env_bool("MASIP_REQUIRE_MFA", True)
# The admin reaches every partnership's staff and settings: off unless deliberately turned on.
MASIP_ADMIN_ENABLED = env_bool("MASIP_ADMIN_ENABLED", False)
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)  # noqa: F405
if "replica" in DATABASES:  # noqa: F405
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]  # noqa: F405

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The load balancer and orchestrator probe these, and Prometheus scrapes, over plain HTTP
# inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$", r"^readyz$", r"^metrics$"]

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
