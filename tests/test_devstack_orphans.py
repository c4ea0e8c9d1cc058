"""`make run` killed outright leaves nothing behind for long: the next run stops what it left,
and stops nothing else.

Real processes throughout: a stand-in `run` (masip.devstack's own spawn and record) is
SIGKILLed, its web server and worker live on as orphans, and the next start reaps them;
an unrelated program that merely calls itself ``redis-server`` survives a stale state file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from masip import devstack
from tests.conftest import ROOT

STAND_IN_RUN = """
import os, sys, time
from pathlib import Path
from masip import devstack

devstack.STATE_DIR = Path(sys.argv[1])
port = int(sys.argv[2])
stack = devstack.Stack()
log = devstack.STATE_DIR / "children.log"  # not this script's stdout, which says "ready"
stack.apps.append(devstack.spawn("web", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                                 os.environ, log=log))
# A worker with a child of its own, as Celery's prefork pool has.
stack.apps.append(devstack.spawn("worker", [sys.executable, "-c",
    "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"], os.environ, log=log))
devstack.record_children(stack, {"web": port})
print("ready", flush=True)
time.sleep(300)
"""


def _wait(predicate: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "run"
    state.mkdir()
    monkeypatch.setattr(devstack, "STATE_DIR", state)
    monkeypatch.setattr(devstack, "LOG_DIR", tmp_path / "log")
    monkeypatch.setattr(devstack, "REDIS_DIR", tmp_path / "redis")
    return state


@pytest.fixture
def orphans(state_dir: Path) -> Iterator[tuple[int, list[int]]]:
    """A stand-in `run` killed with SIGKILL: answers its web port and every process it left."""
    port = devstack.free_port()
    run = subprocess.Popen(
        [sys.executable, "-c", STAND_IN_RUN, str(state_dir), str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert run.stdout is not None and run.stdout.readline().strip() == "ready"
    _wait(lambda: devstack.port_open(port))
    children = json.loads((state_dir / devstack.CHILDREN_FILE).read_text())["children"]

    def members() -> list[int]:
        return [pid for child in children for pid in devstack.group_members(child["pid"])]

    # The stand-in worker starts its own child a moment after the run says "ready": on a busy
    # machine, wait for it (web, worker, the worker's child) before the run is killed.
    _wait(lambda: len(members()) == 3)
    left = members()
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    yield port, left
    for pid in left:  # whatever a failing test left
        if devstack.running(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_children_of_a_killed_run_are_reaped_before_the_next_start(orphans: tuple[int, list[int]]) -> None:
    port, left = orphans
    assert len(left) == 3  # web, worker and the worker's own child
    time.sleep(0.5)
    assert devstack.port_open(port) and all(devstack.running(pid) for pid in left)  # orphans now
    assert sorted(devstack.reap_orphans(timeout=5)) == ["web", "worker"]
    _wait(lambda: not any(devstack.running(pid) for pid in left))
    assert not devstack.port_open(port)
    assert devstack.reap_orphans() == []  # the record is gone with them


def test_run_reaps_before_it_checks_its_port(orphans: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    port, left = orphans
    monkeypatch.setenv("MASIP_PORT", str(port))

    def no_services(_self: devstack.Stack) -> dict[str, str]:
        raise devstack.DevstackError("services not wanted in this test")

    monkeypatch.setattr(devstack.Stack, "ensure_services", no_services)
    # Before: "port … is already in use" (the orphaned web server held it). Now the orphans are
    # stopped first and the run gets as far as starting its services.
    assert devstack.cmd_run() == 1
    assert not any(devstack.running(pid) for pid in left)


def test_a_live_run_and_processes_that_are_not_its_children_are_left_alone(state_dir: Path) -> None:
    stranger = subprocess.Popen(["sleep", "300"])
    try:
        me = devstack.process_identity(os.getpid())
        theirs = devstack.process_identity(stranger.pid)
        assert me is not None and theirs is not None
        record = {"name": "worker", "pid": stranger.pid, "exe": theirs.exe, "started": theirs.started, "port": None}
        # A run that is still alive: its children are its own business.
        (state_dir / devstack.CHILDREN_FILE).write_text(
            json.dumps({"owner": {"pid": os.getpid(), "exe": me.exe, "started": me.started}, "children": [record]})
        )
        assert devstack.reap_orphans(timeout=1) == []
        # A dead run whose recorded pid now belongs to another program started at another time.
        recycled = {**record, "started": theirs.started - 1}
        (state_dir / devstack.CHILDREN_FILE).write_text(
            json.dumps({"owner": {"pid": 999_999_999, "exe": me.exe, "started": 1}, "children": [recycled]})
        )
        assert devstack.reap_orphans(timeout=1) == []
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_a_stale_redis_record_does_not_stop_another_program_called_redis_server(state_dir: Path) -> None:
    # Some other program whose command line says redis-server, on the pid a stale record names.
    stranger = subprocess.Popen(["bash", "-c", "exec -a redis-server sleep 300"])
    stack = devstack.Stack()
    try:
        _wait(lambda: b"redis-server" in Path(f"/proc/{stranger.pid}/cmdline").read_bytes())
        devstack.ServiceState(pid=stranger.pid, owner=999_999_999, port=devstack.free_port()).save("redis")
        service = devstack.start_redis(stack)
        assert service.pid != stranger.pid
        assert stranger.poll() is None  # before: SIGTERMed as "a Redis left running by an earlier run"
        # Our own Redis, once its devstack is gone, is recognised by its binary and port, and stopped.
        devstack.ServiceState(pid=service.pid, owner=999_999_999, port=service.port).save("redis")
        assert devstack.runs_binary_on_port(service.pid, devstack.redis_server_bin(), service.port)
        assert not devstack.runs_binary_on_port(stranger.pid, devstack.redis_server_bin(), service.port)
    finally:
        stack.shutdown()
        stranger.kill()
        stranger.wait()
