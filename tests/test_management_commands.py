"""Every management command of every project app imports and builds its ``--help``.

A command is run by hand or by a schedule, rarely by the suite: without this, a command that
imports a moved or deleted module is found broken only when someone needs it."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import load_command_class

ROOT = Path(settings.BASE_DIR).resolve()


def project_commands() -> list[tuple[str, str]]:
    """(app module, command name) of every command under a project app's management/commands,
    found on disk, so a command whose module fails to import is still listed."""
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if ROOT not in path.parents or ".venv" in path.parts:
            continue
        commands = path / "management" / "commands"
        found += [
            (config.name, info.name) for info in pkgutil.iter_modules([str(commands)]) if not info.name.startswith("_")
        ]
    return sorted(found)


COMMANDS = project_commands()


def test_every_project_app_with_commands_is_found() -> None:
    # The walk itself is checked: the project's own apps hold commands in these places.
    apps_with_commands = {app for app, _ in COMMANDS}
    assert {"masip", "cases", "exchange", "reporting", "followups", "costs", "risk"} <= apps_with_commands


@pytest.mark.parametrize(("app", "name"), COMMANDS, ids=[f"{a}.{n}" for a, n in COMMANDS])
def test_the_command_imports_and_builds_its_help(app: str, name: str) -> None:
    importlib.import_module(f"{app}.management.commands.{name}")
    command = load_command_class(app, name)
    parser = command.create_parser("manage.py", name)
    assert f"manage.py {name}" in parser.format_help()
