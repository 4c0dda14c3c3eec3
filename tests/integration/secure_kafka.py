"""A broker run from deploy/kafka/server.properties (SASL_SSL, SCRAM-SHA-512, ACLs), as compose runs
it, on free loopback ports: one node, or compose's three (`secure_cluster`); and the ACLs of
deploy/kafka/acls.py applied as the init job does."""

import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest

from deploy.kafka.acls import Grant
from deploy.local.kafka import ROOT, free_port, java_command, wait_for_port

PROPERTIES = ROOT / "deploy" / "kafka" / "server.properties"
# Kafka's wire codes (org.apache.kafka.common.acl / resource).
RESOURCE_TOPIC, RESOURCE_GROUP = 2, 3
PATTERN_LITERAL, PATTERN_PREFIXED = 3, 4
OPERATIONS = {"Read": 3, "Write": 4, "Describe": 8}
ALLOW = 3


class SecureKafka:
    """One node; with `voters` ("1@localhost:port,...") and the same `cluster_id`, one of a cluster."""

    def __init__(
        self,
        data_dir: Path,
        secrets: Path,
        users: dict[str, str],
        *,
        node_id: int = 1,
        controller_port: int | None = None,
        voters: str | None = None,
        cluster_id: str | None = None,
    ) -> None:
        self.data_dir, self.secrets, self.users = data_dir, secrets, users
        self.port, self.controller_port = free_port(), controller_port or free_port()
        self.node_id = node_id
        self.voters = voters or f"{node_id}@localhost:{self.controller_port}"
        self.cluster_id = cluster_id or str(uuid.uuid4())
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"localhost:{self.port}"  # the name on the broker's certificate

    def _properties(self) -> Path:
        replicas = 3 if self.voters.count("@") >= 3 else 1
        values = {
            "NODE_ID": str(self.node_id),
            "VOTERS": self.voters,
            "REPLICAS": str(replicas),
            "MIN_INSYNC": "2" if replicas == 3 else "1",
            "LISTEN_HOST": "127.0.0.1",
            "ADVERTISED_HOST": "localhost",
            "PORT": str(self.port),
            "CONTROLLER_PORT": str(self.controller_port),
            "SECRETS": str(self.secrets),
            "DATA_DIR": str(self.data_dir / "logs"),
            "ADMIN_PASSWORD": self.users["faio-admin"],
        }
        text = PROPERTIES.read_text()
        for name, value in values.items():
            text = text.replace(f"@{name}@", value)
        unfilled = re.findall(r"@[A-Z_]+@", text)
        assert not unfilled, f"server.properties placeholders not filled: {unfilled}"
        path = self.data_dir / "server.properties"
        path.write_text(text)
        return path

    def launch(self) -> None:
        """Format the storage once (as broker.sh does), then start the JVM without waiting for it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._properties()
        if not (self.data_dir / "logs" / "meta.properties").exists():
            scram = [
                arg
                for name, password in self.users.items()
                for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
            ]
            format_command = ["kafka.tools.StorageTool", "format", "-t", self.cluster_id, "-c", str(config)]
            subprocess.run(java_command(*format_command, *scram), check=True, stdout=subprocess.DEVNULL)
        log = (self.data_dir / "kafka.log").open("ab")
        self.process = subprocess.Popen(java_command("kafka.Kafka", str(config)), stdout=log, stderr=log)

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # the last of a cluster waits for a quorum gone before it
                self.process.kill()
                self.process.wait()
            self.process = None

    def __enter__(self) -> "SecureKafka":
        self.launch()
        wait_for_port(self.port, 120, self.process)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def secure_cluster(
    data_dir: Path, secrets: Path, users: dict[str, str], size: int = 3
) -> Iterator[list[SecureKafka]]:
    """Compose's three nodes on loopback: the same properties, one cluster id, one quorum."""
    controllers = [free_port() for _ in range(size)]
    voters = ",".join(f"{n + 1}@localhost:{port}" for n, port in enumerate(controllers))
    cluster_id = str(uuid.uuid4())
    nodes = [
        SecureKafka(
            data_dir / f"node-{n + 1}",
            secrets,
            users,
            node_id=n + 1,
            controller_port=controllers[n],
            voters=voters,
            cluster_id=cluster_id,
        )
        for n in range(size)
    ]
    try:
        for node in nodes:  # together: the quorum needs a majority to elect a leader
            node.launch()
        for node in nodes:
            wait_for_port(node.port, 180, node.process)
        yield nodes
    finally:
        for node in nodes:
            if node.process is not None:
                node.process.terminate()  # all at once: none waits on a quorum already gone
        for node in nodes:
            node.stop()


def bootstrap(nodes: list[SecureKafka]) -> str:
    return ",".join(node.bootstrap for node in nodes)


async def apply_grants(admin: AIOKafkaAdminClient, grants: list[Grant]) -> None:
    """What the init job's kafka-acls.sh commands do, one binding per request (aiokafka has no API)."""
    for grant in grants:
        resources = [(RESOURCE_TOPIC, topic, PATTERN_LITERAL) for topic in grant.topics]
        if grant.group_prefix:
            resources.append((RESOURCE_GROUP, grant.group_prefix, PATTERN_PREFIXED))
        for resource_type, name, pattern in resources:
            for operation in grant.operations:
                request = CreateAclsRequest(
                    resource_type, name, pattern, f"User:{grant.principal}", "*", OPERATIONS[operation], ALLOW
                )
                response = await admin._send_request(request)  # aiokafka has no public ACL API
                errors = [code for code, _message in response.creation_responses if code]
                assert not errors, f"CreateAcls {grant.principal} {operation} {name}: {response}"
