"""Token revocation for every service: intake's `intake.officer.tokens-revoked.v1`, kept in memory.

Intake refuses revoked tokens against its officer table; the other services have no such table.
Each of them reads the revocation topic from its beginning, without a consumer group (every
process needs every revocation), and keeps the lowest valid token version per officer. A token
below it is refused like any invalid token. The table is tiny (one integer per officer who ever
revoked) and rebuilt at each start; the topic must keep every officer's latest revocation for as
long as a token lives (cleanup.policy=compact, keyed by officer id, as intake publishes it).
"""

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from fastapi import Request
from pydantic import ValidationError

from shared import topics
from shared.auth import InvalidToken, Officer
from shared.events.intake import OfficerTokensRevoked

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0


class RevokedTokens:
    """The lowest valid token version of each officer who revoked tokens."""

    def __init__(self) -> None:
        self.lowest_valid: dict[str, int] = {}

    def record(self, event: OfficerTokensRevoked) -> None:
        self.record_current(event.officer_id, event.token_version)

    def record_current(self, officer_id: str, token_version: int) -> None:
        """The officer's tokens are at `token_version` now (intake says so): every older one is revoked."""
        # Versions only grow: a replayed or reordered older revocation never lowers the bar.
        known = self.lowest_valid.get(officer_id, 0)
        self.lowest_valid[officer_id] = max(known, token_version)

    def revoked(self, officer: Officer) -> bool:
        """Whether the token was issued before the officer's latest revocation."""
        return officer.token_version < self.lowest_valid.get(officer.id, 0)

    async def check(self, request: Request, officer: Officer) -> None:
        """An `OfficerCheck`: refuse a token issued before the officer's latest revocation."""
        if self.revoked(officer):
            raise InvalidToken("this token was revoked; ask for a new one (faio officer token)")

    async def follow(self, bootstrap_servers: str, **client_options: Any) -> None:
        """Read every revocation from the beginning, then keep reading; reconnects until cancelled.

        `client_options`: the broker's credentials (shared.broker.kafka_client_options).
        """
        while True:
            consumer = AIOKafkaConsumer(
                topics.OFFICER_TOKENS_REVOKED.name,
                bootstrap_servers=bootstrap_servers,
                group_id=None,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                **client_options,
            )
            try:
                await consumer.start()
                async for message in consumer:
                    self._apply(message.value)
            except KafkaError as error:
                log.warning("revocations: Kafka not reachable (%s); retrying in %.0fs", error, RETRY_SECONDS)
            finally:
                with contextlib.suppress(KafkaError):
                    await consumer.stop()
            await asyncio.sleep(RETRY_SECONDS)

    def _apply(self, payload: bytes | None) -> None:
        if payload is None:
            return  # a compaction tombstone: nothing to record
        try:
            self.record(OfficerTokensRevoked.model_validate_json(payload))
        except ValidationError as error:
            # Intake validated it before publishing; a foreign record is skipped, never fatal.
            log.warning("revocations: skipped a record that is not OfficerTokensRevoked: %s", error)
