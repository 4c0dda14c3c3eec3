"""Consumer groups as the broker sees them: whether a restarted replica has rejoined its groups."""

from aiokafka.admin import AIOKafkaAdminClient

from deploy.kafka.acls import service_topics
from tests.polling import eventually


def consumer_groups(service: str) -> list[str]:
    """A service's consumer groups: one per topic it subscribes to (shared.broker.consumer_options)."""
    return sorted(f"faio-{service}.{topic}" for topic in service_topics(service).consumes)


async def group_members(bootstrap: str, groups: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups(groups)
    finally:
        await admin.close()
    return {group[1]: len(group[5]) for response in responses for group in response.groups}


async def until_members(bootstrap: str, groups: list[str], members: int, *, within: float) -> None:
    """Until every group has exactly `members`: a killed member's session expired, the restarted
    one joined and the group rebalanced."""

    async def settled() -> bool:
        found = await group_members(bootstrap, groups)
        return all(found.get(group) == members for group in groups)

    await eventually(settled, within=within, what=f"{members} members in each of {groups}")
