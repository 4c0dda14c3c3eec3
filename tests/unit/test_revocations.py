"""The in-memory revocation table every service keeps from intake's revocation events."""

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.auth import InvalidToken, Officer
from shared.events.intake import OfficerTokensRevoked
from shared.revocations import RevokedTokens


def revocation(officer_id: str, version: int) -> bytes:
    event = OfficerTokensRevoked(officer_id=officer_id, token_version=version, revoked_at=datetime.now(UTC))
    return event.model_dump_json().encode()


async def test_tokens_below_the_latest_revocation_are_refused_and_versions_never_go_down() -> None:
    table = RevokedTokens()
    request: Any = None
    for payload in (revocation("o-1", 3), revocation("o-1", 2), None, b'{"not": "a revocation"}'):
        table._apply(payload)  # a late older event, a tombstone and a foreign record change nothing
    with pytest.raises(InvalidToken, match="revoked"):
        await table.check(request, Officer(id="o-1", token_version=2))
    await table.check(request, Officer(id="o-1", token_version=3))
    await table.check(request, Officer(id="o-2", token_version=1))  # never revoked


def test_a_version_intake_signed_revokes_every_older_one_before_its_event_arrives() -> None:
    table = RevokedTokens()
    table.record_current("o-1", 2)  # a sign-in link at version 2
    table.record_current("o-1", 1)  # an older link never lowers the bar
    assert table.revoked(Officer(id="o-1", token_version=1))
    assert not table.revoked(Officer(id="o-1", token_version=2))
