"""Workers register faio's search attributes on any Temporal server, once, however many start."""

import asyncio
import uuid
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from shared.temporal import SEARCH_ATTRIBUTES, register_search_attributes


async def test_search_attributes_are_registered_once_by_concurrent_workers(
    temporal: WorkflowEnvironment,
) -> None:
    client = temporal.client
    namespace = f"faio-{uuid.uuid4().hex[:8]}"
    retention = Duration()
    retention.FromTimedelta(timedelta(days=1))
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=retention)
    )

    await asyncio.gather(*(register_search_attributes(client, namespace) for _ in range(3)))
    await register_search_attributes(client, namespace)

    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {key.name for key in SEARCH_ATTRIBUTES} <= set(listed.custom_attributes)
