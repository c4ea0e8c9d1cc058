"""The service, configured with a primary and a replica, driven one request at a time by a test.

tests/test_replica_reports.py runs this as a child process with ``DATABASE_URL`` on the
harness's primary and ``DATABASE_REPLICA_URL`` on its standby (tests/streaming_replica.py):
the settings then build the ``replica`` connection exactly as in production, which the test
process itself (on the suite's test database) cannot. It reads one JSON command a line on
standard input and answers each with one line starting ``REPLY `` on standard output (the
service's own JSON logs go there too).

Commands: ``{"op": "setup"}`` makes a partnership with one case; ``{"op": "add_case"}``
refers one more; ``{"op": "get", "path": ..., "as": role}`` and ``{"op": "post", ...}`` are
requests through Django's test client as that member of staff; ``{"op": "generate_return"}``
queues a return and runs the reports job's service on it; ``{"op": "routes"}`` says which
connections exist.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.test")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from reporting.models import ReturnDefinition  # noqa: E402
from reporting.returns.measures import Quarter, recent_quarters  # noqa: E402
from reporting.returns.services import definition_ensure_default, return_generate, return_request  # noqa: E402
from tests.case_factories import make_case  # noqa: E402
from tests.factories import World  # noqa: E402

state: dict[str, Any] = {}


def _client(role: str) -> Client:
    client = Client()
    client.force_login(getattr(state["world"], role))
    return client


def handle(command: dict[str, Any]) -> dict[str, Any]:
    op = command["op"]
    if op == "setup":
        if "name" in command:
            # A second driver on the same primary: its factories' numbering (partnership and
            # user slugs) must not meet the first driver's.
            import itertools

            from tests import factories

            factories._seq = itertools.count(1000)
        world = World(command.get("name", "Replica Partnership"))
        state["world"] = world
        make_case(world.triage_officer, crime_reference="", received_on=timezone.localdate())
        definition = definition_ensure_default(partnership=world.partnership, actor=world.programme_manager)
        quarter = recent_quarters(timezone.localdate())[0]
        return {"partnership": world.partnership.pk, "definition": definition.pk, "quarter": quarter.key}
    if op == "add_case":
        case = make_case(
            state["world"].triage_officer,
            victim_name=("Ada", "Reed"),
            crime_reference="",
            received_on=timezone.localdate(),
        )
        return {"case": case.pk}
    if op in ("get", "post"):
        client = _client(command.get("as", "programme_manager"))
        path = command["path"]
        response = client.get(path) if op == "get" else client.post(path, command.get("data", {}))
        content_type = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        text = body.decode() if content_type.startswith(("text/", "application/json")) else ""
        return {"status": response.status_code, "content_type": content_type, "body": text, "length": len(body)}
    if op == "generate_return":
        # The reports queue's job, run here: its service is what the worker calls.
        world = state["world"]
        definition = ReturnDefinition.objects.get(pk=command["definition"])
        asked = Quarter.parse(command["quarter"])
        assert asked is not None
        generated = return_request(
            actor=world.programme_manager, definition=definition, quarter=asked, suppress_small_numbers=False
        )
        outcome = return_generate(return_id=generated.pk)
        generated.refresh_from_db()
        totals = {i["key"]: i["total"] for s in generated.results["sections"] for i in s["indicators"]}
        return {"outcome": outcome, "status": generated.status, "totals": totals}
    if op == "routes":
        return {"aliases": sorted(connections.settings)}
    raise ValueError(f"unknown command {op!r}")


def main() -> None:
    setup_test_environment()
    # return_request queues the job (no worker here runs it): the queue goes with the cache's
    # Redis database at the end.
    atexit.register(cache.clear)
    for line in sys.stdin:
        try:
            reply = {"ok": True, **handle(json.loads(line))}
        except Exception as exc:  # the test shows it; the driver carries on
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write("REPLY " + json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
