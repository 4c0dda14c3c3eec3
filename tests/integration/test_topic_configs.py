"""Topics are created with their settings: revocations compacted, dead letters kept 30 days."""

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.topics import CLINIC_REGISTERED, DEAD_LETTER_RETENTION_MS, OFFICER_TOKENS_REVOKED


async def topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    [resource] = response.resources
    return {entry[0]: entry[1] for entry in resource[4]}


async def test_revocations_are_compacted_and_dead_letters_expire(kafka: str) -> None:
    revocations = await topic_config(kafka, OFFICER_TOKENS_REVOKED.name)
    assert revocations["cleanup.policy"] == "compact"
    parked = await topic_config(kafka, CLINIC_REGISTERED.dead_letter)
    assert parked["retention.ms"] == str(DEAD_LETTER_RETENTION_MS)
    assert (await topic_config(kafka, CLINIC_REGISTERED.name))["cleanup.policy"] == "delete"
