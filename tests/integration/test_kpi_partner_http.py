"""Partners over HTTP on the real broker: register, sign, post a batch, see the KPI move.

Bad input: an unlinked clinic refuses the whole batch (422, nothing stored); unknown fields,
wrong types and patient-like fields are rejected one by one while the rest is accepted.
"""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import col, func, select

from services.kpi import partners
from services.kpi.models import KpiPartner, KpiPartnerEventReceipt
from services.kpi.settings import KpiSettings
from shared.events.partner import PHI_REASON
from shared.outbox import OutboxMessage
from tests.integration.kpi_support import (
    officer_headers,
    post_events,
    register_clinic,
    register_partner,
)
from tests.integration.kpi_support import (
    partner_event as event,
)
from tests.polling import eventually
from tests.services import RunningService, running


async def receipts(kpi: RunningService, partner_id: str) -> int:
    async with kpi.runtime.sessions() as session:
        statement = select(func.count()).where(
            col(KpiPartnerEventReceipt.partner_id) == uuid.UUID(partner_id)
        )
        return int((await session.exec(statement)).one())


async def staged(kpi: RunningService) -> int:
    """Outbox rows waiting or published: what the service has staged for Kafka so far."""
    async with kpi.runtime.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxMessage))).one())


async def test_partner_batch_is_validated_per_event_and_reaches_the_kpis(kafka: str, tmp_path: Path) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        linked = await register_clinic(kpi, officer_id=officer)
        partner = await register_partner(kpi, officer_id=officer, clinic_ids=[linked])
        assert partner["api_key"].startswith("fpk_")
        assert partner["clinic_ids"] == [str(linked)]

        yesterday = datetime.now(UTC) - timedelta(days=1)
        good = [
            event(linked, "partner.call.answered", {"wait_seconds": 12}, when=yesterday),
            event(linked, "partner.call.missed", {"wait_seconds": 40}, when=yesterday),
            event(linked, "partner.call.missed", {"wait_seconds": 55}, when=yesterday),
            event(linked, "partner.call.answered", {"wait_seconds": 8}, when=yesterday),
        ]
        bad = [
            event(linked, "partner.call.missed", {"wait_seconds": 40, "queue": "main"}, when=yesterday),
            event(linked, "partner.call.missed", {"wait_seconds": "forty"}, when=yesterday),
            event(
                linked, "partner.call.missed", {"wait_seconds": 4, "patient_name": "Jane Doe"}, when=yesterday
            ),
        ]
        response = await post_events(
            kpi, partner, [good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3]]
        )
        assert response.status_code == 202, response.text
        report = response.json()
        assert (report["accepted"], report["duplicates"], report["rejected"]) == (4, 0, 3)
        statuses = [(result["index"], result["status"]) for result in report["results"]]
        assert statuses == [
            (0, "accepted"),
            (1, "rejected"),
            (2, "accepted"),
            (3, "rejected"),
            (4, "accepted"),
            (5, "rejected"),
            (6, "accepted"),
        ]
        errors = {result["index"]: result["errors"] for result in report["results"] if result["errors"]}
        assert errors[1] == [{"field": "data.queue", "reason": "unknown field"}]
        assert errors[3][0]["field"] == "data.wait_seconds"
        assert errors[5] == [{"field": "data.patient_name", "reason": PHI_REASON}]

        # The accepted events travel through Kafka to the aggregator: 2 missed of 4 calls.
        async def missed_call_rate() -> float | None:
            reply = await kpi.http.get(
                f"/v1/clinics/{linked}/kpis",
                params={
                    "granularity": "day",
                    "kpi": "missed_call_rate",
                    "start": yesterday.date().isoformat(),
                },
                headers=officer_headers(kpi, officer),
            )
            assert reply.status_code == 200, reply.text
            point = reply.json()["kpis"][0]["points"][0]
            return point["value"] if point["sample_size"] == 4 else None

        assert await eventually(missed_call_rate, what="the missed-call rate of the accepted events") == 0.5

        # The same events again (a new signed request): duplicates, nothing new staged.
        before = await staged(kpi)
        again = await post_events(kpi, partner, good)
        assert again.status_code == 202
        assert (again.json()["accepted"], again.json()["duplicates"], again.json()["redelivery"]) == (
            0,
            4,
            False,
        )
        assert await staged(kpi) == before
        assert await receipts(kpi, partner["id"]) == 4

        # Another partner's ids are its own: the same ids from it are new events, not duplicates.
        other = await register_partner(kpi, officer_id=officer, clinic_ids=[linked])
        theirs = await post_events(kpi, other, good)
        assert (theirs.json()["accepted"], theirs.json()["duplicates"]) == (4, 0)

        async def missed_calls_counted_twice() -> float | None:
            reply = await kpi.http.get(
                f"/v1/clinics/{linked}/kpis",
                params={
                    "granularity": "day",
                    "kpi": "missed_call_rate",
                    "start": yesterday.date().isoformat(),
                },
                headers=officer_headers(kpi, officer),
            )
            point = reply.json()["kpis"][0]["points"][0]
            return point["value"] if point["sample_size"] == 8 else None

        assert await eventually(missed_calls_counted_twice, what="both partners' events counted") == 0.5

        # Another officer does not even see the clinic.
        hidden = await kpi.http.get(
            f"/v1/clinics/{linked}/kpis", headers=officer_headers(kpi, "someone-else")
        )
        assert hidden.status_code == 404


async def test_events_for_an_unlinked_clinic_refuse_the_batch_and_store_nothing(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        linked = await register_clinic(kpi, officer_id=officer)
        not_linked = await register_clinic(kpi, officer_id=officer, name="Hillside Clinic")
        partner = await register_partner(kpi, officer_id=officer, clinic_ids=[linked])
        now = datetime.now(UTC)
        batch = [
            event(linked, "partner.appointment.booked", {}, when=now),
            event(not_linked, "partner.appointment.booked", {}, when=now),
        ]
        staged_before = await staged(kpi)
        response = await post_events(kpi, partner, batch)
        assert response.status_code == 422, response.text
        assert str(not_linked) in response.json()["detail"]
        assert await receipts(kpi, partner["id"]) == 0
        assert await staged(kpi) == staged_before

        # Once the officer links the clinic, the very same batch goes through.
        link = await kpi.http.put(
            f"/v1/partners/{partner['id']}/clinics/{not_linked}", headers=officer_headers(kpi, officer)
        )
        assert link.status_code == 200
        assert (await post_events(kpi, partner, batch)).json()["accepted"] == 2
        # A clinic of another officer cannot be linked: it is not found.
        stranger = await register_clinic(kpi, officer_id="another-officer")
        refused = await kpi.http.put(
            f"/v1/partners/{partner['id']}/clinics/{stranger}", headers=officer_headers(kpi, officer)
        )
        assert refused.status_code == 404


async def test_unsigned_stale_and_unknown_key_requests_are_refused_and_retries_recognised(
    kafka: str, tmp_path: Path
) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with running("kpi", kafka=kafka, data_dir=tmp_path) as platform:
        kpi = platform["kpi"]
        clinic = await register_clinic(kpi, officer_id=officer)
        partner = await register_partner(kpi, officer_id=officer, clinic_ids=[clinic])
        batch = [event(clinic, "partner.message.received", {"channel": "portal"}, when=datetime.now(UTC))]

        stale = await post_events(kpi, partner, batch, timestamp=datetime.now(UTC) - timedelta(minutes=10))
        assert stale.status_code == 401
        assert "too old" in stale.json()["detail"]

        forged = dict(partner, webhook_secret="whsec_" + "A" * 44)
        assert (await post_events(kpi, forged, batch)).status_code == 401

        unknown = dict(partner, api_key="fpk_not-a-key")
        assert (await post_events(kpi, unknown, batch)).status_code == 401

        first = await post_events(kpi, partner, batch, webhook_id="msg_retry_me")
        assert first.status_code == 202
        assert (first.json()["accepted"], first.json()["redelivery"]) == (1, False)
        # A sender's retry of a delivered request (its answer was lost, say): recognised by its
        # webhook-id, answered 202 again, and nothing is stored twice.
        retry = await post_events(kpi, partner, batch, webhook_id="msg_retry_me")
        assert retry.status_code == 202
        assert (retry.json()["accepted"], retry.json()["duplicates"], retry.json()["redelivery"]) == (
            0,
            1,
            True,
        )
        assert await receipts(kpi, partner["id"]) == 1

        too_many = await post_events(kpi, partner, batch * 1001)
        assert too_many.status_code == 422
        assert "at most 1,000" in too_many.json()["detail"]

        listed = await kpi.http.get("/v1/partners", headers=officer_headers(kpi, officer))
        assert [item["id"] for item in listed.json()] == [partner["id"]]
        assert "api_key" not in listed.json()[0]
        assert "webhook_secret" not in listed.json()[0]
        # At rest the secret is encrypted; only the service's keys open it.
        async with kpi.runtime.sessions() as session:
            stored = await session.get(KpiPartner, (officer, uuid.UUID(partner["id"])))
        assert stored is not None
        assert partner["webhook_secret"] not in stored.webhook_secret
        assert (
            partners.open_webhook_secret(stored.webhook_secret, KpiSettings().partner_secrets)
            == (partner["webhook_secret"])
        )
        with pytest.raises(InvalidToken):
            partners.open_webhook_secret(stored.webhook_secret, MultiFernet([Fernet(Fernet.generate_key())]))

        # The contract is on the service's AsyncAPI page: every partner event type, snapshot, alert.
        schemas = (await kpi.http.get("/asyncapi.json")).json()["components"]["schemas"]
        assert {"CallAnswered", "NoteSigned", "AiToolSession", "KpiSnapshot", "KpiAlert"} <= set(schemas)
