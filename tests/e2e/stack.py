"""The platform as `make run` starts it (deploy/local/Procfile), on free ports, for end-to-end tests.

Each service and worker is its own process, started by its Procfile command, against the
test session's real Kafka broker and Temporal server; only ports, databases and task queues
are the test's own, so it runs next to anything else on the machine.

With `replicas` > 1 (the distributed suite), each service and worker runs that many processes
on one database each (`database_urls`, PostgreSQL) and one consumer group, and `front` puts a
load balancer before each service's replicas: its URL is what the portal and `faio` call.
"""

import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.local.kafka import free_port

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "local" / "Procfile"
VENV_BIN = Path(sys.executable).parent
# The processes of the platform (Kafka and Temporal come from the test session's fixtures).
HTTP_SERVICES = ("intake", "audit", "roadmap", "kpi")
WORKERS = {"audit-worker": "audit", "roadmap-worker": "roadmap"}
READY_WITHIN_SECONDS = 120.0


def procfile_commands() -> dict[str, str]:
    """`name: command` lines of the Procfile the local recipe runs."""
    commands = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = command.strip()
    return commands


def _with_port(command: str, port: int) -> list[str]:
    words = shlex.split(command)
    words[words.index("--port") + 1] = str(port)
    return words


def _without_env(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """`env NAME=VALUE ... command` -> the assignments and the command."""
    if words[0] != "env":
        return {}, words
    assignments = {}
    rest = words[1:]
    while rest and "=" in rest[0]:
        key, _, value = rest.pop(0).partition("=")
        assignments[key] = value
    return assignments, rest


def _as_python(words: list[str]) -> list[str]:
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    return [str(VENV_BIN / words[0]), *words[1:]]


@dataclass
class Stack:
    """Where each service answers, and the processes' logs for when something goes wrong."""

    urls: dict[str, str] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    replica_urls: dict[str, list[str]] = field(default_factory=dict)
    # Every process by name: "intake", or "intake-1", "intake-2" ... with replicas.
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # How each was started (command, environment), so a killed one can be started again.
    launches: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)
    # The Temporal task queue of each service's workers.
    task_queues: dict[str, str] = field(default_factory=dict)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        """Start process `name` (again, after a kill: as an orchestrator restarts a crashed pod)."""
        argv, environment = self.launches[name]
        with self.logs[name].open("ab") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def cli_environment(self) -> dict[str, str]:
        """FAIO_<SERVICE>_URL for each service: how `faio` finds this stack."""
        return {f"FAIO_{name.upper()}_URL": url for name, url in self.urls.items()}

    def log_tails(self, lines: int = 30) -> str:
        tails = []
        for name, path in self.logs.items():
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            tails.append(f"--- {name}\n" + "\n".join(text))
        return "\n".join(tails)


def _wait_ready(stack: Stack, services: tuple[str, ...], within: float) -> None:
    deadline = time.monotonic() + within
    waiting = {url for name in services for url in stack.replica_urls[name]}
    while waiting:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{stack.log_tails()}")
        for url in sorted(waiting):
            try:
                if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                    waiting.discard(url)
            except httpx.TransportError:
                pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready within {within} s: {waiting}\n{stack.log_tails()}")
        time.sleep(0.5)


def _command(commands: dict[str, str], name: str) -> str:
    """The Procfile's command for `name`, or the uvicorn line every service's Procfile entry follows."""
    default = f"uvicorn --factory services.{name}.app:create_app --host 127.0.0.1 --port 0"
    return commands.get(name, default)


@contextmanager
def running_stack(
    *,
    kafka: str,
    temporal: str,
    data_dir: Path,
    services: tuple[str, ...] = HTTP_SERVICES,
    workers: tuple[str, ...] = tuple(WORKERS),
    replicas: int = 1,
    database_urls: Mapping[str, str] | None = None,
    front: Callable[[list[str]], str] | None = None,
    ready_within: float = READY_WITHIN_SECONDS,
) -> Iterator[Stack]:
    """Start the Procfile's services and workers (every one by default); stop them (SIGTERM, then SIGKILL)."""
    commands = procfile_commands()
    queues = {service: f"{service}-{uuid.uuid4()}" for service in WORKERS.values()}
    stack = Stack(task_queues=queues)
    common = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAIO_ENVIRONMENT": "test",
        "FAIO_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "FAIO_TEMPORAL_ADDRESS": temporal,
        "FAIO_TRACES_DIR": str(data_dir / "traces"),
        "FAIO_OUTBOX_POLL_SECONDS": "0.2",
    }
    with ExitStack() as cleanup:
        for name, replica in [(name, n) for name in (*services, *workers) for n in range(1, replicas + 1)]:
            service = WORKERS.get(name, name)
            database = (database_urls or {}).get(service, f"sqlite+aiosqlite:///{data_dir / service}.db")
            environment = common | {"FAIO_DATABASE_URL": database}
            if service in queues:
                environment["FAIO_TEMPORAL_TASK_QUEUE"] = queues[service]
            if name in services:
                if replica == 1:  # every replica's port, and the URL before them, known up front
                    stack.replica_urls[name] = [f"http://127.0.0.1:{free_port()}" for _ in range(replicas)]
                    stack.urls[name] = (
                        front(stack.replica_urls[name]) if front else stack.replica_urls[name][0]
                    )
                port = int(stack.replica_urls[name][replica - 1].rsplit(":", 1)[1])
                # The portal calls the stack's own services (their ports are free ones, not 8001-8004).
                environment |= {f"FAIO_{other.upper()}_URL": url for other, url in stack.urls.items()}
                if name == "portal":  # no mail: the local sink's port is `make run`'s, not the test's
                    environment["FAIO_MAIL_INTERVAL_SECONDS"] = "0"
                assignments, words = _without_env(_with_port(_command(commands, name), port))
                environment |= assignments  # intake, audit, roadmap: the portal is their proxy
                argv = _as_python(words)
            else:
                assignments, words = _without_env(shlex.split(commands[name]))
                argv = _as_python(words)
                # The Procfile's fixed metrics ports would collide with `make run`: a free one each.
                environment |= assignments | {"FAIO_WORKER_METRICS_ADDRESS": f"127.0.0.1:{free_port()}"}
            process_name = f"{name}-{replica}" if replicas > 1 else name
            stack.logs[process_name] = data_dir / f"{process_name}.log"
            stack.launches[process_name] = (argv, environment)
            # All at once, as honcho starts them: a service and its worker migrate the database
            # they share together (shared.db.migrate makes them take turns).
            stack.start(process_name)
        cleanup.callback(_stop_all, stack)  # whatever runs under each name then, restarted ones too
        _wait_ready(stack, services, ready_within)
        yield stack


def _stop_all(stack: Stack) -> None:
    for process in stack.processes.values():
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
