"""A developer's machine: `make run`. Services come from the embedded stack unless set."""

from __future__ import annotations

import os
from pathlib import Path

# `make run` writes the embedded servers' addresses here, so that a second terminal's
# `python manage.py shell` reaches the same database without exporting anything.
_devstack_env = Path(__file__).resolve().parent.parent.parent / "var" / "devstack.env"
if _devstack_env.exists():
    for _line in _devstack_env.read_text().splitlines():
        _key, _, _value = _line.partition("=")
        if _key in {"DATABASE_URL", "REDIS_URL"} and _value:
            os.environ.setdefault(_key, _value)

from masip.settings.base import *  # noqa: E402,F403
from masip.settings.env import env_bool  # noqa: E402

DEBUG = env_bool("DEBUG", True)
MASIP_REQUIRE_MFA = env_bool("MASIP_REQUIRE_MFA", False)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# `make run` loads the demo partnership (seed_demo).
MASIP_DEMO_DATA_ALLOWED = True
