"""Each service's Kafka user and what it may do, derived from the code rather than written by hand.

What a service consumes and produces is read from its own Kafka router (the subscribers and the
documented publishers of `services/<name>/handlers.py`, built as the app builds them), so a new
subscription changes the ACLs with it. On top of that:
- a consumer writes the dead letters of what it consumes (`<topic>.dlq`, shared/broker.py);
- its consumer groups are `faio-<service>.<topic>` (shared.broker.consumer_options): a prefix;
- every service but the producer of the revocation topic reads it without a group
  (shared/revocations.py; intake checks its own officer table);
- the operator's `faio dlq` reads every dead-letter topic and replays to the original topics.

`python -m deploy.kafka.acls` prints the `kafka-init` script of docker-compose.yml: topics (on
all three brokers, min.insync.replicas=2), SCRAM users and ACLs; deploy/kafka/init.sh is that
output (tests/unit/test_compose.py keeps them equal).
"""

import importlib
import shlex
from dataclasses import dataclass
from functools import cache

from opentelemetry.sdk.trace import TracerProvider

from deploy.certs import KAFKA_NODES
from shared.app import create_runtime
from shared.settings import SharedSettings
from shared.topics import ALL_TOPICS, OFFICER_TOKENS_REVOKED, all_topic_names, topic_configs

SERVICES = ("intake", "audit", "roadmap", "kpi", "portal")
OPERATOR = "faio-operator"
ADMIN = "faio-admin"
# The admin's client settings, written by the init script itself from FAIO_KAFKA_PASSWORD_ADMIN
# into a file only it can read (mktemp: mode 0600).
ADMIN_CONFIG = '"$admin_config"'
ADMIN_PROPERTIES = """admin_config="$(mktemp)"
cat > "$admin_config" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
username="faio-admin" password="${FAIO_KAFKA_PASSWORD_ADMIN:?}";
ssl.truststore.type=PEM
ssl.truststore.location=/run/secrets/ca.crt
EOF"""
# The SASL_SSL listeners, as the services reach them (docker-compose.yml's three nodes).
BOOTSTRAP = ",".join(f"{node}:9093" for node in KAFKA_NODES)
# Every topic on all three nodes, and a write acknowledged (acks=all) once two hold it.
REPLICATION_FACTOR = 3
MIN_INSYNC_REPLICAS = 2


def user(service: str) -> str:
    return f"faio-{service}"


def password_variable(name: str) -> str:
    """The compose variable holding a Kafka user's password (FAIO_KAFKA_PASSWORD_INTAKE)."""
    return "FAIO_KAFKA_PASSWORD_" + name.removeprefix("faio-").upper().replace("-", "_")


@dataclass(frozen=True)
class ServiceTopics:
    consumes: frozenset[str]
    produces: frozenset[str]


@cache
def service_topics(service: str) -> ServiceTopics:
    """What `service` subscribes to and publishes, from the router its app builds (nothing connects)."""
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings_class = next(
        value
        for value in vars(settings_module).values()
        if isinstance(value, type) and issubclass(value, SharedSettings) and value is not SharedSettings
    )
    runtime = create_runtime(settings_class(database_url="sqlite+aiosqlite://"), TracerProvider())
    router = importlib.import_module(f"services.{service}.handlers").create_router(runtime)
    consumes = {name for subscriber in router.subscribers for name in subscriber.topic_names}
    produces = {publisher.topic for publisher in router.publishers}
    return ServiceTopics(frozenset(consumes), frozenset(produces))


@dataclass(frozen=True)
class Grant:
    """Allow `principal` the `operations` on topics or a group prefix."""

    principal: str
    operations: tuple[str, ...]
    topics: tuple[str, ...] = ()
    group_prefix: str = ""


def revocation_readers() -> set[str]:
    return {s for s in SERVICES if OFFICER_TOKENS_REVOKED.name not in service_topics(s).produces}


def service_reads_and_writes(service: str) -> tuple[set[str], set[str]]:
    """The topics `service` may read and write (compose's ACLs and the Helm chart's KafkaUsers)."""
    topics = service_topics(service)
    reads = set(topics.consumes) | (
        {OFFICER_TOKENS_REVOKED.name} if service in revocation_readers() else set()
    )
    writes = set(topics.produces) | {f"{topic}.dlq" for topic in topics.consumes}
    return reads, writes


def service_grants(service: str) -> list[Grant]:
    topics = service_topics(service)
    reads, writes = service_reads_and_writes(service)
    grants = []
    if reads:
        grants.append(Grant(user(service), ("Read", "Describe"), tuple(sorted(reads))))
    if topics.consumes:
        grants.append(Grant(user(service), ("Read",), group_prefix=f"faio-{service}."))
    if writes:
        grants.append(Grant(user(service), ("Write", "Describe"), tuple(sorted(writes))))
    return grants


def operator_grants() -> list[Grant]:
    dead_letters = tuple(sorted(topic.dead_letter for topic in ALL_TOPICS))
    originals = tuple(sorted(topic.name for topic in ALL_TOPICS))
    return [
        Grant(OPERATOR, ("Read", "Describe"), dead_letters),
        Grant(OPERATOR, ("Write", "Describe"), originals),
    ]


def all_grants() -> list[Grant]:
    return [grant for service in SERVICES for grant in service_grants(service)] + operator_grants()


def kafka_users() -> list[str]:
    return [*(user(service) for service in SERVICES), OPERATOR]


def _command(tool: str, *args: str) -> str:
    return " ".join(
        [
            f"/opt/kafka/bin/{tool}",
            "--bootstrap-server",
            BOOTSTRAP,
            "--command-config",
            ADMIN_CONFIG,
            *(shlex.quote(arg) if not arg.startswith('"') else arg for arg in args),
        ]
    )


def acl_command(grant: Grant) -> str:
    args = ["--add", "--allow-principal", f"User:{grant.principal}"]
    for operation in grant.operations:
        args += ["--operation", operation]
    for topic in grant.topics:
        args += ["--topic", topic]
    if grant.group_prefix:
        args += ["--group", grant.group_prefix, "--resource-pattern-type", "prefixed"]
    return _command("kafka-acls.sh", *args)


def init_script() -> str:
    """The kafka-init container's script: topics, then SCRAM users, then ACLs (all idempotent)."""
    configs = topic_configs()
    lines = [
        "#!/bin/sh",
        "# Generated by `python -m deploy.kafka.acls`; do not edit by hand.",
        "set -eu",
        ADMIN_PROPERTIES,
        "",
    ]
    for name, partitions in sorted(all_topic_names().items()):
        topic_config = {"min.insync.replicas": str(MIN_INSYNC_REPLICAS), **configs.get(name, {})}
        settings = [arg for key, value in topic_config.items() for arg in ("--config", f"{key}={value}")]
        lines.append(
            _command(
                "kafka-topics.sh",
                "--create",
                "--if-not-exists",
                "--topic",
                name,
                "--partitions",
                str(partitions),
                "--replication-factor",
                str(REPLICATION_FACTOR),
                *settings,
            )
        )
    lines.append("")
    for name in kafka_users():
        variable = password_variable(name)
        lines.append(
            _command(
                "kafka-configs.sh",
                "--alter",
                "--entity-type",
                "users",
                "--entity-name",
                name,
                "--add-config",
                f'"SCRAM-SHA-512=[password=${{{variable}:?}}]"',
            )
        )
    lines.append("")
    lines += [acl_command(grant) for grant in all_grants()]
    return "\n".join(lines) + "\n"


def main() -> None:
    print(init_script(), end="")


if __name__ == "__main__":
    main()
