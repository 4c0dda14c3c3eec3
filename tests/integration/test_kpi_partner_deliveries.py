"""A partner's delivery console and key rotation, on kpi's real front door and broker.

During a rotation's window a request signed with the old secret is accepted, after it refused;
the console records each delivery's outcome and a refusal's reason, never the body.
"""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared import clock
from tests.integration.kpi_support import (
    officer_headers,
    post_events,
    register_clinic,
    register_partner,
    signed,
)
from tests.integration.kpi_support import (
    partner_event as event,
)
from tests.services import RunningService, running


async def console(kpi: RunningService, officer: str, partner_id: str) -> dict[str, Any]:
    response = await kpi.http.get(
        f"/v1/partners/{partner_id}/deliveries", headers=officer_headers(kpi, officer)
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_old_secret_verifies_during_the_rotation_window_only(kafka: str, tmp_path: Path) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        partner = await register_partner(kpi, officer_id=officer, clinic_ids=[clinic])
        headers = officer_headers(kpi, officer)

        bad_window = await kpi.http.post(
            f"/v1/partners/{partner['id']}/webhook-secret", json={"window_hours": 0}, headers=headers
        )
        assert bad_window.status_code == 422
        assert "window_hours" in bad_window.text

        rotated = await kpi.http.post(
            f"/v1/partners/{partner['id']}/webhook-secret", json={"window_hours": 2}, headers=headers
        )
        assert rotated.status_code == 200, rotated.text
        new = dict(partner, webhook_secret=rotated.json()["webhook_secret"])
        assert new["webhook_secret"] != partner["webhook_secret"]
        assert (await console(kpi, officer, partner["id"]))["previous_secret_until"] is not None

        def batch() -> list[dict[str, Any]]:
            return [event(clinic, "partner.call.answered", {"wait_seconds": 9}, when=clock.now())]

        assert (await post_events(kpi, partner, batch())).status_code == 202  # old secret, in the window
        assert (await post_events(kpi, new, batch())).status_code == 202

        with clock.set_to(datetime.now(UTC) + timedelta(hours=2, minutes=1)):
            after = await post_events(kpi, partner, batch(), webhook_id="msg_old_after_window")
            assert after.status_code == 401, after.text
            assert (await post_events(kpi, new, batch())).status_code == 202
            shown = await console(kpi, officer, partner["id"])
        assert shown["previous_secret_until"] is None
        refused = [item for item in shown["deliveries"] if item["outcome"] == "refused"]
        assert [(item["webhook_id"], item["reason"]) for item in refused] == [
            ("msg_old_after_window", "signature matches none of the partner's valid webhook secrets")
        ]
        assert [item["type"] for item in shown["last_events"]] == ["partner.call.answered"]


async def test_console_names_each_outcome_and_the_error_rate(kafka: str, tmp_path: Path) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        partner = await register_partner(kpi, officer_id=officer, clinic_ids=[clinic])
        now = datetime.now(UTC)
        good = [
            event(clinic, "partner.call.missed", {"wait_seconds": 40}, when=now),
            event(clinic, "partner.call.answered", {"wait_seconds": "forty"}, when=now),
        ]
        assert (await post_events(kpi, partner, good, webhook_id="msg_1")).status_code == 202
        assert (await post_events(kpi, partner, good, webhook_id="msg_1")).status_code == 202  # a retry
        elsewhere = [event(uuid.uuid4(), "partner.call.missed", {"wait_seconds": 4}, when=now)]
        assert (await post_events(kpi, partner, elsewhere, webhook_id="msg_2")).status_code == 422
        body = b'{"not": "a batch", "patient_name": "Jane Doe"}'
        malformed = await kpi.http.post(
            "/v1/partner-events", content=body, headers=signed(partner, body, webhook_id="msg_3")
        )
        assert malformed.status_code == 422
        stale = await post_events(
            kpi, partner, good, webhook_id="msg_4", timestamp=now - timedelta(minutes=9)
        )
        assert stale.status_code == 401

        shown = await console(kpi, officer, partner["id"])
        rows = [
            (item["webhook_id"], item["outcome"], item["reason"]) for item in reversed(shown["deliveries"])
        ]
        assert rows == [
            ("msg_1", "accepted", None),
            ("msg_1", "duplicate", None),
            ("msg_2", "refused", "an event names a clinic the partner is not linked to"),
            ("msg_3", "refused", "body is not a non-empty JSON array of CloudEvents"),
            ("msg_4", "refused", "webhook-timestamp older or newer than 5 minutes"),
        ]
        first = shown["deliveries"][-1]
        assert (first["accepted"], first["duplicates"], first["rejected"]) == (1, 0, 1)
        assert (shown["deliveries_in_window"], shown["refused_in_window"], shown["error_rate"]) == (5, 3, 0.6)
        assert "Jane" not in str(shown)

        other = f"officer-{uuid.uuid4()}"
        hidden = await kpi.http.get(
            f"/v1/partners/{partner['id']}/deliveries", headers=officer_headers(kpi, other)
        )
        assert hidden.status_code == 404
