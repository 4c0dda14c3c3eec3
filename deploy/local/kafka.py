"""A real Apache Kafka broker (KRaft, single node) run on the machine's Java, no Docker.

`make kafka-jars` resolves the jars from Maven Central into .local/kafka/libs (deploy/kafka/pom.xml).
`python -m deploy.local.kafka` runs the broker for `make run` on 127.0.0.1:9092;
tests use `KafkaServer` to start their own on free ports.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
LIBS = ROOT / ".local" / "kafka" / "libs"
LOG4J_CONFIG = ROOT / "deploy" / "kafka" / "log4j2.yaml"
JAVA_OPTS = ["-Xms256m", "-Xmx768m", "-XX:+UseG1GC", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"]

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={data_dir}
num.partitions=3
# Topics are created from shared/topics.py, never by a typo in a topic name.
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# A single local node: no need to wait for more members before the first rebalance.
group.initial.rebalance.delay.ms=0
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def java_command(*args: str) -> list[str]:
    if not LIBS.is_dir():
        sys.exit(f"Kafka jars missing in {LIBS}: run `make kafka-jars` (or `make run`, which does it).")
    java = shutil.which("java") or "java"
    return [java, *JAVA_OPTS, "-cp", f"{LIBS}/*", *args]


def prepare(data_dir: Path, port: int, controller_port: int) -> Path:
    """Write server.properties and format the log directory once (KRaft needs a cluster id)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "server.properties"
    config.write_text(
        SERVER_PROPERTIES.format(port=port, controller_port=controller_port, data_dir=data_dir / "logs")
    )
    if not (data_dir / "logs" / "meta.properties").exists():
        subprocess.run(
            java_command(
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                str(uuid.uuid4()),
                "-c",
                str(config),
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return config


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Kafka exited with code {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"Kafka did not open port {port} within {timeout}s")


class KafkaServer:
    """A broker in a child process, for tests: `with KafkaServer(tmp) as kafka: kafka.bootstrap`.

    `stop()` and `start()` may be called in between to simulate an outage; data survives.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.controller_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        config = prepare(self.data_dir, self.port, self.controller_port)
        log = (self.data_dir / "kafka.log").open("ab")
        self.process = subprocess.Popen(java_command("kafka.Kafka", str(config)), stdout=log, stderr=log)
        wait_for_port(self.port, timeout, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> "KafkaServer":
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main() -> None:
    """Run the broker in the foreground (for honcho); Ctrl-C stops it."""
    port = int(os.environ.get("FAIO_KAFKA_PORT", "9092"))
    controller_port = int(os.environ.get("FAIO_KAFKA_CONTROLLER_PORT", "9093"))
    config = prepare(ROOT / ".local" / "kafka" / "data", port, controller_port)
    command = java_command("kafka.Kafka", str(config))
    os.execvp(command[0], command)  # replace this process so signals reach the JVM directly


if __name__ == "__main__":
    main()
