"""A real Apache Kafka broker (KRaft) run on the machine's Java, no Docker: one node, or a cluster.

`make kafka-jars` resolves the jars from Maven Central into .local/kafka/libs (deploy/kafka/pom.xml).
`python -m deploy.local.kafka` runs the broker for `make run` on 127.0.0.1:9092;
tests use `KafkaServer` to start their own on free ports.

`KafkaCluster` starts three nodes, each a broker and a KRaft controller (a quorum of three), from the
same jars: internal topics and faio's topics (shared/broker.py `ensure_topics`) get replication
factor 3 and min.insync.replicas=2, so one node can be killed with nothing acknowledged lost.
`FAIO_KAFKA_BROKERS=3 python -m deploy.local.kafka` runs one in the foreground.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
LIBS = ROOT / ".local" / "kafka" / "libs"
LOG4J_CONFIG = ROOT / "deploy" / "kafka" / "log4j2.yaml"
JAVA_OPTS = ["-Xms256m", "-Xmx768m", "-XX:+UseG1GC", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"]

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id={node_id}
{quorum}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}
advertised.listeners=PLAINTEXT://{host}:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={data_dir}
num.partitions=3
# Topics are created from shared/topics.py, never by a typo in a topic name.
auto.create.topics.enable=false
default.replication.factor={replicas}
min.insync.replicas={min_insync}
offsets.topic.replication.factor={replicas}
offsets.topic.num.partitions=6
transaction.state.log.replication.factor={replicas}
transaction.state.log.min.isr={min_insync}
share.coordinator.state.topic.replication.factor={replicas}
share.coordinator.state.topic.min.isr={min_insync}
# A local cluster: no need to wait for more members before the first rebalance.
group.initial.rebalance.delay.ms=0
"""
# Three nodes on one small machine: a smaller heap each than the single node's.
CLUSTER_HEAP = ["-Xms192m", "-Xmx512m"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def java_command(*args: str, heap: list[str] | None = None) -> list[str]:
    if not LIBS.is_dir():
        sys.exit(f"Kafka jars missing in {LIBS}: run `make kafka-jars` (or `make run`, which does it).")
    java = shutil.which("java") or "java"
    return [java, *JAVA_OPTS, *(heap or []), "-cp", f"{LIBS}/*", *args]


def prepare(
    data_dir: Path,
    port: int,
    controller_port: int,
    *,
    node_id: int = 1,
    voters: str | None = None,
    cluster_id: str | None = None,
    host: str = "127.0.0.1",
) -> Path:
    """Write server.properties and format the log directory once (KRaft needs a cluster id).

    Alone, the node is its own quorum (`--standalone`); in a cluster, `voters` names every
    controller ("1@127.0.0.1:port,...") and every node is formatted with the same `cluster_id`.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "server.properties"
    replicas = 3 if voters and voters.count("@") >= 3 else 1
    quorum = (
        f"controller.quorum.voters={voters}"
        if voters
        else f"controller.quorum.bootstrap.servers={host}:{controller_port}"
    )
    config.write_text(
        SERVER_PROPERTIES.format(
            node_id=node_id,
            quorum=quorum,
            host=host,
            port=port,
            controller_port=controller_port,
            data_dir=data_dir / "logs",
            replicas=replicas,
            min_insync=2 if replicas == 3 else 1,
        )
    )
    if not (data_dir / "logs" / "meta.properties").exists():
        standalone = [] if voters else ["--standalone"]
        subprocess.run(
            java_command(
                "kafka.tools.StorageTool",
                "format",
                *standalone,
                "-t",
                cluster_id or str(uuid.uuid4()),
                "-c",
                str(config),
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return config


def wait_for_port(
    port: int, timeout: float, process: subprocess.Popen[bytes] | None = None, host: str = "127.0.0.1"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Kafka exited with code {process.returncode} while starting")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"Kafka did not open port {port} within {timeout}s")


class KafkaServer:
    """A broker in a child process, for tests: `with KafkaServer(tmp) as kafka: kafka.bootstrap`.

    `stop()` and `start()` may be called in between to simulate an outage; data survives.
    `kill()` ends it with SIGKILL, as a crash or the OOM killer would.
    `host` is the address it listens on, and `command_prefix` runs its JVM through another command
    (`ip netns exec NAME`: a network namespace of its own, which a test can cut off).
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        controller_port: int | None = None,
        node_id: int = 1,
        voters: str | None = None,
        cluster_id: str | None = None,
        host: str = "127.0.0.1",
        command_prefix: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.command_prefix = list(command_prefix)
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self.node_id = node_id
        self.voters = voters
        self.cluster_id = cluster_id
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def launch(self) -> None:
        """Start the JVM without waiting for it to listen."""
        config = prepare(
            self.data_dir,
            self.port,
            self.controller_port,
            node_id=self.node_id,
            voters=self.voters,
            cluster_id=self.cluster_id,
            host=self.host,
        )
        log = (self.data_dir / "kafka.log").open("ab")
        heap = CLUSTER_HEAP if self.voters else None
        self.process = subprocess.Popen(
            [*self.command_prefix, *java_command("kafka.Kafka", str(config), heap=heap)],
            stdout=log,
            stderr=log,
        )

    def start(self, timeout: float = 90.0) -> None:
        self.launch()
        wait_for_port(self.port, timeout, self.process, self.host)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def __enter__(self) -> "KafkaServer":
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class KafkaCluster:
    """`size` KRaft nodes (broker and controller each) on free ports: `with KafkaCluster(tmp) as c`.

    `nodes[i].kill()` then `nodes[i].start()` crashes and brings back one broker; its data survives.
    `hosts` and `command_prefixes` (one per node) place nodes elsewhere than 127.0.0.1, e.g. one in
    a network namespace of its own.
    """

    def __init__(
        self,
        data_dir: Path,
        size: int = 3,
        *,
        first_port: int | None = None,
        hosts: Sequence[str] | None = None,
        command_prefixes: Sequence[Sequence[str]] | None = None,
    ) -> None:
        hosts = hosts or ["127.0.0.1"] * size
        command_prefixes = command_prefixes or [()] * size
        # Fixed ports from `first_port` (brokers, then controllers), else free ones.
        ports = [first_port + n if first_port else free_port() for n in range(size)]
        controllers = [first_port + size + n if first_port else free_port() for n in range(size)]
        voters = ",".join(f"{n + 1}@{hosts[n]}:{port}" for n, port in enumerate(controllers))
        cluster_id = str(uuid.uuid4())
        self.nodes = [
            KafkaServer(
                data_dir / f"node-{n + 1}",
                ports[n],
                controller_port=controllers[n],
                node_id=n + 1,
                voters=voters,
                cluster_id=cluster_id,
                host=hosts[n],
                command_prefix=command_prefixes[n],
            )
            for n in range(size)
        ]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def start(self, timeout: float = 120.0) -> None:
        for node in self.nodes:  # together: a controller quorum needs a majority to elect a leader
            node.launch()
        for node in self.nodes:
            wait_for_port(node.port, timeout, node.process, node.host)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> "KafkaCluster":
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main() -> None:
    """Run the broker in the foreground (for honcho); Ctrl-C stops it.

    FAIO_KAFKA_BROKERS=3 runs a three-node cluster instead: brokers on FAIO_KAFKA_PORT and the next
    two ports, controllers on the three after.
    """
    port = int(os.environ.get("FAIO_KAFKA_PORT", "9092"))
    brokers = int(os.environ.get("FAIO_KAFKA_BROKERS", "1"))
    if brokers > 1:
        cluster = KafkaCluster(ROOT / ".local" / "kafka" / "cluster", size=brokers, first_port=port)
        with cluster:
            print(f"Kafka cluster of {brokers} on {cluster.bootstrap}", flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return
    controller_port = int(os.environ.get("FAIO_KAFKA_CONTROLLER_PORT", "9093"))
    config = prepare(ROOT / ".local" / "kafka" / "data", port, controller_port)
    command = java_command("kafka.Kafka", str(config))
    os.execvp(command[0], command)  # replace this process so signals reach the JVM directly


if __name__ == "__main__":
    main()
