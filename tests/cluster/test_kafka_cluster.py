"""The project's own three-broker KRaft cluster: topics replicated three times with
min.insync.replicas=2, and acknowledged writes survive a broker killed with SIGKILL."""

import uuid

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from deploy.local.kafka import KafkaCluster
from shared import topics
from tests.kafka_io import header, read_all


async def test_topics_are_replicated_three_times_with_two_in_sync(cluster: KafkaCluster) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    await admin.start()
    try:
        assert len((await admin.describe_cluster())["brokers"]) == 3
        (described,) = await admin.describe_topics([topics.PARTNER_ACTIVITY.name])
        assert {len(partition["replicas"]) for partition in described["partitions"]} == {3}
        (config,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topics.PARTNER_ACTIVITY.name)]
        )
        values = {entry[0]: entry[1] for entry in config.resources[0][4]}
        assert values["min.insync.replicas"] == "2"
    finally:
        await admin.close()


async def test_acknowledged_writes_survive_a_broker_killed(cluster: KafkaCluster) -> None:
    topic = topics.CLINIC_ARCHIVED.name
    run = uuid.uuid4().hex
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    acknowledged: list[str] = []
    try:
        for n in range(300):
            if n == 100:
                cluster.nodes[0].kill()
            if n == 200:
                cluster.nodes[0].start()
            ce_id = f"{run}-{n}"
            await producer.send_and_wait(
                topic, b"{}", key=str(n % 7).encode(), headers=[("ce_id", ce_id.encode())]
            )
            acknowledged.append(ce_id)
    finally:
        await producer.stop()
    cluster.nodes[1].kill()  # read what the other two hold, the restarted one among them
    try:
        records = await read_all(cluster.bootstrap, topic)
    finally:
        cluster.nodes[1].start()
    ours = [ce_id for record in records if (ce_id := header(record, "ce_id") or "").startswith(run)]
    assert sorted(ours) == sorted(acknowledged)
