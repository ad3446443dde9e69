"""Real servers for the scale-out tests, each on a free loopback port in its own temp dir:
Debian's PostgreSQL (`initdb` + `pg_ctl`, run as the `postgres` user when the tests run as root,
since root cannot run postgres) and Chroma's own server (`chroma run` from the venv).

Missing binaries skip the tests that need them with the reason; `make test` installs Debian's
`postgresql` (see the Makefile's system-deps), so there they run.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 180.0  # the machine is shared with other test runs: be patient
PG_USER = "interviewer"
PG_SYSTEM_USER = "postgres"  # created by Debian's postgresql package


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin_dir() -> Path | None:
    """Debian's newest server binaries (`/usr/lib/postgresql/<version>/bin`), else PATH's."""
    def version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if all((Path(d) / b).is_file() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(d)
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb") and shutil.which("postgres"):
        return Path(found).resolve().parent
    return None


@dataclass
class PostgresServer:
    port: int
    root: Path
    bin_dir: Path
    user: str = PG_USER
    database: str = "postgres"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


def _as_server_user(cmd: list[str]) -> list[str]:
    """Root runs the server commands as the postgres system user."""
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", PG_SYSTEM_USER, "--", *cmd]
    return ["su", PG_SYSTEM_USER, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def _run(cmd: list[str], what: str, timeout: float = START_TIMEOUT) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}\n{done.stderr}")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway cluster (trust auth on loopback only, fsync off: the data is temporary)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found (install Debian's `postgresql`: "
                    "`make system-deps`)")
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            pytest.skip(f"running as root and there is no {PG_SYSTEM_USER!r} user to run "
                        "PostgreSQL as (install Debian's `postgresql`)")
    # Under /tmp, not pytest's tmp dir: that one is private to root, and postgres must reach it.
    root = Path(tempfile.mkdtemp(prefix="interviewer-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust",
              "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
        opts = (f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c full_page_writes=off "
                "-c max_connections=50 -c shared_buffers=16MB")
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts,
              "-w", "-t", str(int(START_TIMEOUT)), "start"], "pg_ctl start")
        server = PostgresServer(port=port, root=root, bin_dir=bin_dir)
        _wait_for_postgres(server)
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                            "immediate", "-w", "stop"]),
                           capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_postgres(server: PostgresServer) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with psycopg.connect(server.url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def create_database(server: PostgresServer, name: str) -> str:
    """A fresh database on the server; returns its URL."""
    import psycopg

    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return server.url_for(name)


@dataclass
class ChromaServer:
    host: str
    port: int
    path: Path
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        return {"CHROMA_HOST": self.host, "CHROMA_PORT": str(self.port)}


def chroma_executable() -> Path | None:
    exe = Path(sys.executable).parent / "chroma"
    return exe if exe.is_file() else None


@contextmanager
def chroma_server(path: Path) -> Iterator[ChromaServer]:
    """`chroma run` on a free loopback port with telemetry off; stopped and waited for after."""
    exe = chroma_executable()
    if exe is None:
        pytest.skip("the venv has no `chroma` script (chromadb is not installed)")
    port = free_port()
    path.mkdir(parents=True, exist_ok=True)
    log = open(path.parent / f"chroma-{port}.log", "wb")  # noqa: SIM115 - closed below
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_TELEMETRY": "False",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
    )
    try:
        _wait_for_chroma(proc, port, path.parent / f"chroma-{port}.log")
        yield ChromaServer(host="127.0.0.1", port=port, path=path, process=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log.close()


def _wait_for_chroma(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}: "
                               f"{log.read_text(errors='replace')[-2000:]}")
        try:
            with opener.open(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"chroma run did not answer on port {port}")
        time.sleep(0.3)
