"""A broker run from deploy/kafka/server.properties (SASL_SSL, SCRAM-SHA-512, ACLs), as compose runs
it, on free loopback ports; and the ACLs of deploy/kafka/acls.py applied as the init job does."""

import re
import subprocess
import uuid
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
    def __init__(self, data_dir: Path, secrets: Path, users: dict[str, str]) -> None:
        self.data_dir, self.secrets, self.users = data_dir, secrets, users
        self.port, self.controller_port = free_port(), free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"localhost:{self.port}"  # the name on the broker's certificate

    def _properties(self) -> Path:
        values = {
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

    def __enter__(self) -> "SecureKafka":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._properties()
        scram = [
            arg
            for name, password in self.users.items()
            for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
        ]
        format_command = ["kafka.tools.StorageTool", "format", "--standalone", "-t", str(uuid.uuid4())]
        subprocess.run(
            java_command(*format_command, "-c", str(config), *scram), check=True, stdout=subprocess.DEVNULL
        )
        log = (self.data_dir / "kafka.log").open("ab")
        self.process = subprocess.Popen(java_command("kafka.Kafka", str(config)), stdout=log, stderr=log)
        wait_for_port(self.port, 120, self.process)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


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
