"""Turn a configuration error into one line on stderr and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from masip.settings.env import ConfigError

T = TypeVar("T")


def exit_on_config_error(start: Callable[[], T]) -> T:
    try:
        return start()
    except ConfigError as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        raise SystemExit(2) from None
