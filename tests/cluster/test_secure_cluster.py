"""docker-compose.yml's Kafka as it runs there: three nodes from deploy/kafka/server.properties
(SASL_SSL and SCRAM for clients, ACLs, the controllers on mutual TLS with the brokers' certificate),
on loopback; the topics as kafka-init creates them (deploy/kafka/init.sh: on all three nodes,
min.insync.replicas=2); and a service writing with its own user while one node is killed -9 and
started again, with every acknowledged record still there."""

import secrets
import shlex
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from pydantic import SecretStr

from deploy.certs import create_all
from deploy.kafka.acls import service_grants
from deploy.local.kafka import ROOT, wait_for_port
from shared.broker import create_broker, kafka_client_options
from shared.settings import SharedSettings
from shared.topics import KPI_SNAPSHOT
from tests.integration.secure_kafka import SecureKafka, apply_grants, bootstrap, secure_cluster
from tests.kafka_io import header, read_all

USERS = {name: secrets.token_hex(16) for name in ("faio-admin", "faio-kpi")}


def init_topics() -> list[NewTopic]:
    """The topics of init.sh's kafka-topics.sh lines: name, partitions, replicas and configs."""
    topics = []
    for line in (ROOT / "deploy" / "kafka" / "init.sh").read_text().splitlines():
        if "kafka-topics.sh" not in line:
            continue
        args = shlex.split(line)
        configs = dict(args[i + 1].split("=", 1) for i, arg in enumerate(args) if arg == "--config")
        topics.append(
            NewTopic(
                args[args.index("--topic") + 1],
                num_partitions=int(args[args.index("--partitions") + 1]),
                replication_factor=int(args[args.index("--replication-factor") + 1]),
                topic_configs=configs,
            )
        )
    return topics


def settings_of(nodes: list[SecureKafka], user: str) -> SharedSettings:
    return SharedSettings(
        service_name=user.removeprefix("faio-"),
        kafka_bootstrap_servers=bootstrap(nodes),
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username=user,
        kafka_sasl_password=SecretStr(USERS[user]),
        kafka_ssl_cafile=str(nodes[0].secrets / "ca.crt"),
    )


@pytest.fixture(scope="module")
async def nodes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[SecureKafka]]:
    root: Path = tmp_path_factory.mktemp("secure-cluster")
    create_all(root / "secrets")
    with secure_cluster(root / "data", root / "secrets", USERS) as started:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap(started), **kafka_client_options(settings_of(started, "faio-admin"))
        )
        await admin.start()
        try:
            await admin.create_topics(init_topics())  # as the init job does, as the admin
            await apply_grants(admin, service_grants("kpi"))
        finally:
            await admin.close()
        yield started


async def test_the_init_scripts_topics_are_on_three_nodes_with_two_in_sync(nodes: list[SecureKafka]) -> None:
    wanted = init_topics()
    assert wanted and {topic.replication_factor for topic in wanted} == {3}
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap(nodes), **kafka_client_options(settings_of(nodes, "faio-admin"))
    )
    await admin.start()
    try:
        assert len((await admin.describe_cluster())["brokers"]) == 3
        described = await admin.describe_topics([topic.name for topic in wanted])
        assert {len(p["replicas"]) for topic in described for p in topic["partitions"]} == {3}
        resources = [ConfigResource(ConfigResourceType.TOPIC, topic.name) for topic in wanted]
        for response in await admin.describe_configs(resources):
            for resource in response.resources:
                values = {entry[0]: entry[1] for entry in resource[4]}
                assert values["min.insync.replicas"] == "2", resource[3]
    finally:
        await admin.close()


async def test_a_service_writes_through_a_node_killed_and_restarted(nodes: list[SecureKafka]) -> None:
    run = uuid.uuid4().hex
    broker = create_broker(settings_of(nodes, "faio-kpi"))  # acks=all, idempotent, its own user
    await broker.start()
    acknowledged = []
    try:
        for n in range(300):
            if n == 100:
                nodes[0].stop(kill=True)
            if n == 200:
                nodes[0].launch()
                wait_for_port(nodes[0].port, 180, nodes[0].process)
            ce_id = f"{run}-{n}"
            await broker.publish(
                b"{}", topic=KPI_SNAPSHOT.name, key=str(n % 7).encode(), headers={"ce_id": ce_id}
            )
            acknowledged.append(ce_id)
    finally:
        await broker.stop()
    options = kafka_client_options(settings_of(nodes, "faio-admin"))
    records = await read_all(bootstrap(nodes), KPI_SNAPSHOT.name, options)
    ours = [ce_id for record in records if (ce_id := header(record, "ce_id") or "").startswith(run)]
    assert sorted(ours) == sorted(acknowledged)
