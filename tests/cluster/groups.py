"""Consumer groups as the broker sees them: whether a restarted replica has rejoined its groups."""

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v2

from deploy.kafka.acls import service_topics
from tests.polling import eventually


def consumer_groups(service: str) -> list[str]:
    """A service's consumer groups: one per topic it subscribes to (shared.broker.consumer_options)."""
    return sorted(f"faio-{service}.{topic}" for topic in service_topics(service).consumes)


class _DescribeGroupsV2(DescribeGroupsRequest):  # type: ignore[misc]  # aiokafka is untyped here
    """aiokafka pairs its DescribeGroups v3 request with the v2 response (no authorized_operations)
    and fails to decode Kafka 4's answer; v2 has the members all the same."""

    def build(self, request_struct_class: Any) -> Any:
        return DescribeGroupsRequest_v2(self._groups)


async def group_members(bootstrap: str, groups: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        members: dict[str, int] = {}
        for group_id in groups:
            coordinator = await admin.find_coordinator(group_id)
            response = await admin._send_request(_DescribeGroupsV2([group_id]), coordinator)
            members |= {group[1]: len(group[5]) for group in response.groups}
        return members
    finally:
        await admin.close()


async def until_members(bootstrap: str, groups: list[str], members: int, *, within: float) -> None:
    """Until every group has exactly `members`: a killed member's session expired, the restarted
    one joined and the group rebalanced."""

    async def settled() -> bool:
        found = await group_members(bootstrap, groups)
        return all(found.get(group) == members for group in groups)

    await eventually(settled, within=within, what=f"{members} members in each of {groups}")
