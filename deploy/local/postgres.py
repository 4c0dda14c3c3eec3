"""A throw-away PostgreSQL server for tests, from Debian's `postgresql` package (no Docker).

`with PostgresServer() as pg: pg.url("roadmap")` gives an asyncpg URL to a fresh database.
PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server runs as
the `postgres` user the package creates. Durability settings are off: data is thrown away.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from deploy.local.kafka import free_port, wait_for_port

USER = "faio"


def postgres_bin() -> Path:
    """The newest installed server's bin directory, or an error saying how to install one."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `make setup` installs it (apt-get install postgresql)"
        )
    return Path(found[-1]).parent


class PostgresServer:
    """A server on a free port with trust authentication on 127.0.0.1 only."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="faio-postgres-"))
        self.data_dir = self.root / "data"
        self._databases = 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def start(self, timeout: float = 60.0) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data_dir), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "start",
            "-w",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
        )
        wait_for_port(self.port, timeout)

    def stop(self) -> None:
        if self.data_dir.exists():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, name: str) -> str:
        """An asyncpg URL for database `name` (create it first with `create_database`)."""
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{name}"

    def create_database(self, prefix: str = "faio") -> str:
        """A fresh, empty database; returns its asyncpg URL."""
        self._databases += 1
        name = f"{prefix}_{self._databases}_{int(time.time() * 1000) % 100000}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return self.url(name)

    def __enter__(self) -> "PostgresServer":
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
