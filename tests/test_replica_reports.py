"""Reports read from a real streaming replica; everything else, and every write, from the primary.

The harness (tests/streaming_replica.py) starts a PostgreSQL primary and a standby made from it
with ``pg_basebackup -R``; the service runs in a child process (tests/replica_driver.py) with
``DATABASE_URL`` on the primary and ``DATABASE_REPLICA_URL`` on the standby. The standby is
paused (``pg_wal_replay_pause()``) and a case referred on the primary: the reports (dashboard,
data quality, evaluation tables, a return's preview and the return job, the bundle export)
still count without it (so their figures came from the standby) and say that they lag, while the
caseworkers' pages show it at once (the primary); the access-log rows the reports write are on
the primary (the standby is read-only: a write sent there would fail the page). After the
replay resumes, the reports count the new case and say they are up to date.

Without ``DATABASE_REPLICA_URL`` nothing changes: one connection, no freshness line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.models import User
from audit.models import AccessLog
from masip import replica
from masip.replica import ReplicaRouter, use_replica
from tests.factories import World
from tests.streaming_replica import Cluster, server_bin, streaming_replica
from tests.workers import ROOT, database_url_for

LAG_WARNING_SECONDS = 2


class Driver:
    """The service in a child process, on the harness's primary and replica."""

    made: dict[str, Any]

    def __init__(self, cluster: Cluster, replica_url: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
        env.update(
            DJANGO_SETTINGS_MODULE="masip.settings.test",
            DATABASE_URL=cluster.primary_url,
            DATABASE_REPLICA_URL=replica_url or cluster.standby_url,
            MASIP_REPLICA_LAG_WARNING_SECONDS=str(LAG_WARNING_SECONDS),
            # A Redis database of its own (7, taken as it is without PYTEST_XDIST_WORKER; the
            # suite's processes use 1 to 4 on database 0): its cache keys are about another database's rows.
            REDIS_URL=re.sub(r"/\d*$", "/7", settings.REDIS_URL),
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.replica_driver"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def __call__(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.proc.stdin.flush()
        seen: list[str] = []
        for line in self.proc.stdout:
            if line.startswith("REPLY "):
                reply: dict[str, Any] = json.loads(line.removeprefix("REPLY "))
                assert reply.pop("ok"), f"{reply.get('error')}\n{''.join(seen[-40:])}"
                return reply
            seen.append(line)
        raise AssertionError(f"the driver exited: {''.join(seen[-40:])}")

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def replica_cluster(django_db_setup: None, django_db_blocker: Any) -> Iterator[Cluster]:
    if server_bin() is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_basebackup) under /usr/lib/postgresql/*/bin")
    # The connection's own settings: they name the test database once django_db_setup has made it.
    with streaming_replica(database_url_for(connections[DEFAULT_DB_ALIAS].settings_dict)) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def driver(replica_cluster: Cluster) -> Iterator[Driver]:
    service = Driver(replica_cluster)
    try:
        service.made = service("setup")
        replica_cluster.wait_caught_up()
        yield service
    finally:
        service.stop()


def _open_cases(driver: Driver) -> int:
    reply = driver("get", path="/api/v1/reporting/dashboard/")
    assert reply["status"] == 200, reply
    return int(json.loads(reply["body"])["open_cases"])


def _freshness(body: str) -> str:
    found = re.search(r'data-replica-freshness="(\w+)"', body)
    return found.group(1) if found else ""


def _logged_on(cluster: Cluster, port: int, record_type: str) -> int:
    with cluster.connect(port) as conn:
        row = conn.execute("SELECT count(*) FROM audit_accesslog WHERE record_type = %s", [record_type]).fetchone()
    assert row is not None
    return int(row[0])


def _report_pages(driver: Driver) -> dict[str, str]:
    """Each page of figures, and the access-log record type its reading writes."""
    preview = f"/reporting/returns/preview/?definition={driver.made['definition']}&quarter={driver.made['quarter']}"
    return {
        "/reporting/dashboard/": "reporting.dashboard",
        "/reporting/data-quality/": "reporting.data_quality",
        "/reporting/evaluation/": "reporting.evaluation",
        preview: "reporting.return_preview",
    }


# The suite's test database is where the harness's schema comes from: asked for here so that
# pytest-django makes it even when this is the only test selected.
@pytest.mark.django_db
def test_reports_read_the_replica_and_say_when_it_lags_while_writes_and_case_pages_stay_on_the_primary(
    replica_cluster: Cluster, driver: Driver
) -> None:
    assert driver("routes")["aliases"] == ["default", "replica"]
    before = _open_cases(driver)
    assert before >= 1
    report_pages = _report_pages(driver)
    made = driver.made
    generated = driver("generate_return", definition=made["definition"], quarter=made["quarter"])
    assert generated["status"] == "done"
    received = generated["totals"]["referrals_received"]
    for path in report_pages:
        page = driver("get", path=path)
        assert page["status"] == 200, path
        assert _freshness(page["body"]) == "current", path
        assert re.search(r"Figures as of \d\d:\d\d, 0 seconds behind\.", page["body"]), path

    replica_cluster.pause_replay()
    try:
        added = driver("add_case")["case"]
        time.sleep(LAG_WARNING_SECONDS + 1)
        # The caseworker's page reads the primary: the new case is there at once.
        case_page = driver("get", path=f"/cases/{added}/", **{"as": "triage_officer"})
        assert case_page["status"] == 200
        assert "data-replica-freshness" not in case_page["body"]
        # The reports read the paused replica: without the new case, and they say they lag.
        assert _open_cases(driver) == before
        for path, record_type in report_pages.items():
            logged_before = _logged_on(replica_cluster, replica_cluster.primary_port, record_type)
            page = driver("get", path=path)
            assert page["status"] == 200, path  # a write sent to the read-only standby would fail it
            assert _freshness(page["body"]) == "lagging", path
            behind = re.search(r"Figures as of \d\d:\d\d, (\d+) seconds behind\.", page["body"])
            assert behind and int(behind.group(1)) > LAG_WARNING_SECONDS, path
            assert "running late" in page["body"]
            # Its access-log row went to the primary (the paused standby has not seen it).
            assert _logged_on(replica_cluster, replica_cluster.primary_port, record_type) == logged_before + 1
            assert _logged_on(replica_cluster, replica_cluster.standby_port, record_type) <= logged_before
        # /healthz reports the lag (no Celery worker here, so its own status is beside the point).
        replica_check = json.loads(driver("get", path="/healthz")["body"])["checks"]["replica"]
        assert replica_check["ok"] is True and "over the warning threshold" in replica_check["detail"]
        # The reports queue's job: its figures from the paused replica, its result on the primary.
        generated = driver("generate_return", definition=made["definition"], quarter=made["quarter"])
        assert generated["outcome"] == "done" and generated["totals"]["referrals_received"] == received
        # A bundle export reads the replica too, and its log goes to the primary.
        transfers = _count(replica_cluster, replica_cluster.primary_port, "exchange_bundletransfer")
        export = driver("post", path="/bundle/export/", data={"kind": "pseudonymised"}, **{"as": "admin"})
        assert export["status"] == 200 and export["content_type"] == "application/zip", export
        assert _count(replica_cluster, replica_cluster.primary_port, "exchange_bundletransfer") == transfers + 1
    finally:
        replica_cluster.resume_replay()

    replica_cluster.wait_caught_up()
    assert _open_cases(driver) == before + 1
    generated = driver("generate_return", definition=made["definition"], quarter=made["quarter"])
    assert generated["totals"]["referrals_received"] == received + 1
    page = driver("get", path="/reporting/dashboard/")
    assert _freshness(page["body"]) == "current"


def _count(cluster: Cluster, port: int, table: str) -> int:
    with cluster.connect(port) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.django_db
def test_an_unreachable_replica_gives_live_figures_and_says_so(replica_cluster: Cluster) -> None:
    """A replica that does not answer (here: a port nothing listens on) does not stop a report:
    its figures are read from the primary and the page says they are live; /healthz says the
    replica is unreachable."""
    from tests.streaming_replica import _free_port

    service = Driver(replica_cluster, replica_url=replica_cluster.url(_free_port()))
    try:
        service.made = service("setup", name="Unreachable Replica Partnership")
        assert _open_cases(service) >= 1  # the case setup made, read from the primary
        for path in _report_pages(service):
            page = service("get", path=path)
            assert page["status"] == 200, path
            assert _freshness(page["body"]) == "unreachable", path
            assert "could not be reached" in page["body"]
        made = service.made
        generated = service("generate_return", definition=made["definition"], quarter=made["quarter"])
        assert generated["outcome"] == "done" and generated["totals"]["referrals_received"] >= 1
        replica_check = json.loads(service("get", path="/healthz")["body"])["checks"]["replica"]
        assert replica_check == {"ok": False, "detail": "unreachable"}
    finally:
        service.stop()


# --- without a replica, and the router's rules ------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_replica_there_is_one_connection_and_no_freshness_line(world: World) -> None:
    assert "replica" not in settings.DATABASES
    assert list(connections.settings) == [DEFAULT_DB_ALIAS]
    client = Client()
    client.force_login(world.programme_manager)
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as queries:
        page = client.get("/reporting/dashboard/")
    assert page.status_code == 200
    assert "data-replica-freshness" not in page.content.decode()
    assert any("cases_case" in q["sql"] for q in queries.captured_queries)  # the figures, from the one database
    with use_replica():
        assert replica.read_alias() == DEFAULT_DB_ALIAS
        assert ReplicaRouter().db_for_read(AccessLog) is None
    assert "replica" not in Client().get("/healthz").json()["checks"]


@pytest.mark.django_db
def test_the_router_sends_only_reporting_reads_to_the_replica_and_every_write_to_the_primary(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica, "configured", lambda: True)  # as with DATABASE_REPLICA_URL set
    monkeypatch.setattr(replica, "reachable", lambda: True)  # and the replica answering
    router = ReplicaRouter()
    assert router.db_for_read(User) is None  # outside a report: the primary
    read_there = User.objects.get(pk=world.admin.pk)
    read_there._state.db = "replica"  # as if read inside a report
    with use_replica():
        assert router.db_for_read(User) == "replica"
        assert replica.read_alias() == "replica"
        # A row naming an object read from the replica is still written to the primary
        # (Django's own fallback would pick the object's database).
        assert router.db_for_write(AccessLog, instance=read_there) == DEFAULT_DB_ALIAS
        entry = AccessLog(user=read_there)
        assert entry._state.db == DEFAULT_DB_ALIAS
    assert router.db_for_read(User) is None
    assert replica.read_alias() == DEFAULT_DB_ALIAS
    assert router.allow_migrate("replica", "cases") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None
