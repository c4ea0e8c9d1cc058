"""Where the apps above interventions plug into it, without interventions importing them.

- an **intervention-end listener**: told when an intervention of a case ends
  (``interventions.services.intervention_end``), inside its transaction, after the
  intervention's ``ended_on``, ``ending`` and status are saved; what it writes commits or
  rolls back with the ending (follow-ups open post-intervention monitoring here).

Register in the listening app's ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agencies.models import User
    from interventions.models import Intervention

InterventionEndListener = Callable[["Intervention", "User | None"], None]

_intervention_end_listeners: list[InterventionEndListener] = []


def register_intervention_end_listener(listener: InterventionEndListener) -> None:
    if listener not in _intervention_end_listeners:
        _intervention_end_listeners.append(listener)


def intervention_end_listeners() -> list[InterventionEndListener]:
    return list(_intervention_end_listeners)
