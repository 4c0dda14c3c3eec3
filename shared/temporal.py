"""Connecting to Temporal, traced so workflow spans join the trace that started them."""

import asyncio
import logging

from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from shared.settings import SharedSettings

log = logging.getLogger(__name__)


async def connect_temporal(
    settings: SharedSettings, tracer_provider: TracerProvider, *, retry_seconds: float = 2.0
) -> Client:
    """A Temporal client, waiting for the server if it is not up yet."""
    interceptor = TracingInterceptor(tracer_provider.get_tracer("temporalio"))
    while True:
        try:
            return await Client.connect(
                settings.temporal_address, namespace=settings.temporal_namespace, interceptors=[interceptor]
            )
        except RuntimeError as error:  # the SDK raises RuntimeError when the server is unreachable
            log.warning("Temporal not reachable at %s (%s); retrying", settings.temporal_address, error)
            await asyncio.sleep(retry_seconds)
