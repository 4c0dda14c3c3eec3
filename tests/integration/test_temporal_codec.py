"""Payloads reach Temporal encrypted, and a key rotation leaves running workflows readable.

Through the real dev server and faio's own connect_temporal, configured as a deployment is
(FAIO_TEMPORAL_CODEC_KEY_ID / FAIO_TEMPORAL_CODEC_KEYS).
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from shared.settings import SharedSettings
from shared.temporal import connect_temporal
from shared.temporal_codec import KEY_ID, UnknownKeyId, new_key
from tests.integration.codec_workflow import NotedPlan, NotedPlanWorkflow

CLINIC = "Canary Family Practice Zebulon"
NOTE = "officer note: canary-pilot-went-well-7731"
KEY_A, KEY_B = new_key(), new_key()


def settings(address: str, current: str, keys: dict[str, str]) -> SharedSettings:
    return SharedSettings(
        temporal_address=address,
        temporal_codec_key_id=current,
        temporal_codec_keys=SecretStr(",".join(f"{key_id}={key}" for key_id, key in keys.items())),
    )


async def connect(address: str, current: str = "", keys: dict[str, str] | None = None) -> Client:
    return await connect_temporal(settings(address, current, keys or {}), TracerProvider())


@asynccontextmanager
async def worker(client: Client, task_queue: str) -> AsyncIterator[None]:
    async with Worker(client, task_queue=task_queue, workflows=[NotedPlanWorkflow]):
        yield


async def start(client: Client, task_queue: str) -> WorkflowHandle[NotedPlanWorkflow, str]:
    return await client.start_workflow(
        NotedPlanWorkflow.run,
        NotedPlan(CLINIC, "no_show_rate"),
        id=f"codec-{uuid.uuid4()}",
        task_queue=task_queue,
    )


async def stored(handle: WorkflowHandle[NotedPlanWorkflow, str]) -> bytes:
    """The history's events as the server keeps them (fetch_history does not decode payloads)."""
    return b"".join(event.SerializeToString() for event in (await handle.fetch_history()).events)


SECRETS = (CLINIC.encode(), b"canary-pilot-went-well-7731", b"no_show_rate")


@pytest.fixture
def address(temporal: WorkflowEnvironment) -> str:
    return temporal.client.service_client.config.target_host


async def test_without_the_codec_the_history_holds_the_plaintext(address: str) -> None:
    """The control: what the encrypted history must not show is there when the codec is off."""
    client, queue = await connect(address), f"codec-{uuid.uuid4()}"
    async with worker(client, queue):
        handle = await start(client, queue)
        await handle.signal(NotedPlanWorkflow.decide, NOTE)
        assert await handle.result() == f"{CLINIC}: {NOTE}"
    raw = await stored(handle)
    assert all(secret in raw for secret in SECRETS)
    assert b"binary/encrypted" not in raw


async def test_the_history_holds_no_plaintext_and_names_the_key(address: str) -> None:
    client, queue = await connect(address, "2026-a", {"2026-a": KEY_A}), f"codec-{uuid.uuid4()}"
    async with worker(client, queue):
        handle = await start(client, queue)
        await handle.signal(NotedPlanWorkflow.decide, NOTE)
        assert await handle.result() == f"{CLINIC}: {NOTE}"
    history = await handle.fetch_history()
    payloads = next(
        event.workflow_execution_started_event_attributes.input.payloads
        for event in history.events
        if event.HasField("workflow_execution_started_event_attributes")
    )
    assert payloads[0].metadata["encoding"] == b"binary/encrypted"
    assert payloads[0].metadata[KEY_ID] == b"2026-a"
    raw = await stored(handle)
    assert not [secret for secret in SECRETS if secret in raw]


async def test_a_workflow_started_under_key_a_completes_after_rotating_to_key_b(address: str) -> None:
    queue = f"codec-{uuid.uuid4()}"
    before = await connect(address, "2026-a", {"2026-a": KEY_A})
    async with worker(before, queue):
        handle = await start(before, queue)
        await handle.describe()  # running, waiting for the officer
    # Rotated: B encrypts from now on; A stays in the keyring to read what was written under it.
    after = await connect(address, "2026-b", {"2026-b": KEY_B, "2026-a": KEY_A})
    async with worker(after, queue):
        rotated = after.get_workflow_handle_for(NotedPlanWorkflow.run, handle.id)
        await rotated.signal(NotedPlanWorkflow.decide, NOTE)
        assert await rotated.result() == f"{CLINIC}: {NOTE}"
    key_ids = {
        payload.metadata[KEY_ID]
        for event in (await rotated.fetch_history()).events
        for field in (
            event.workflow_execution_started_event_attributes.input,
            event.workflow_execution_signaled_event_attributes.input,
            event.workflow_execution_completed_event_attributes.result,
        )
        for payload in field.payloads
    }
    assert key_ids == {b"2026-a", b"2026-b"}


async def test_a_payload_under_a_retired_key_is_refused_naming_the_key(address: str) -> None:
    queue = f"codec-{uuid.uuid4()}"
    client = await connect(address, "2026-a", {"2026-a": KEY_A})
    async with worker(client, queue):
        handle = await start(client, queue)
        await handle.signal(NotedPlanWorkflow.decide, NOTE)
        await handle.result()
    retired = await connect(address, "2026-b", {"2026-b": KEY_B})  # A retired too early
    with pytest.raises(UnknownKeyId, match=r"key id '2026-a'.*known: 2026-b"):
        await retired.get_workflow_handle(handle.id).result()
