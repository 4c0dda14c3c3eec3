"""Integration partners: their API keys and webhook secrets, and the clinics each may publish for."""

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from typing import NamedTuple
from uuid import UUID

from cryptography.fernet import MultiFernet
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.clinics import officer_clinic
from services.kpi.models import KpiPartner, KpiPartnerClinic, PartnerCreate, PartnerCreated, PartnerPublic
from shared.db import SessionFactory
from shared.errors import NotFound

API_KEY_PREFIX = "fpk_"


def hash_api_key(api_key: str) -> str:
    # The key is 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_webhook_secret() -> str:
    # Standard Webhooks secrets are "whsec_" + base64 of 24-64 random bytes.
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def open_webhook_secret(stored: str, secrets_box: MultiFernet) -> str:
    """A partner's webhook secret as the partner signs with it; InvalidToken if no key opens it.

    Secrets are only ever stored encrypted: one in plaintext ("whsec_...") is no token, and is refused.
    """
    return secrets_box.decrypt(stored.encode()).decode()


async def create_partner(
    *, session: AsyncSession, officer_id: str, partner_in: PartnerCreate, secrets_box: MultiFernet
) -> PartnerCreated:
    """Register a partner linked to some of the officer's clinics; its secrets are returned once."""
    for clinic_id in set(partner_in.clinic_ids):
        await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    webhook_secret = new_webhook_secret()
    partner = KpiPartner(
        id=uuid.uuid4(),
        officer_id=officer_id,
        name=partner_in.name,
        kind=partner_in.kind,
        api_key_hash=hash_api_key(api_key),
        # Encrypted at rest: HMAC verification needs the secret itself, not a hash of it.
        webhook_secret=secrets_box.encrypt(webhook_secret.encode()).decode(),
    )
    session.add(partner)
    await session.flush()
    for clinic_id in sorted(set(partner_in.clinic_ids)):
        session.add(KpiPartnerClinic(officer_id=officer_id, partner_id=partner.id, clinic_id=clinic_id))
    await session.commit()
    public = await partner_public(session=session, partner=partner)
    return PartnerCreated(**public.model_dump(), api_key=api_key, webhook_secret=webhook_secret)


async def linked_clinics(*, session: AsyncSession, partner: KpiPartner) -> set[UUID]:
    """The clinics the partner may publish events for."""
    links = await session.exec(
        select(KpiPartnerClinic.clinic_id).where(
            KpiPartnerClinic.officer_id == partner.officer_id, KpiPartnerClinic.partner_id == partner.id
        )
    )
    return set(links.all())


async def partner_public(*, session: AsyncSession, partner: KpiPartner) -> PartnerPublic:
    return PartnerPublic(
        id=partner.id,
        name=partner.name,
        kind=partner.kind,
        clinic_ids=sorted(await linked_clinics(session=session, partner=partner)),
        source=partner.source,
        created_at=partner.created_at,
    )


async def list_partners(*, session: AsyncSession, officer_id: str) -> list[PartnerPublic]:
    """The officer's partners, without secrets."""
    partners = await session.exec(
        select(KpiPartner).where(KpiPartner.officer_id == officer_id).order_by(col(KpiPartner.created_at))
    )
    return [await partner_public(session=session, partner=partner) for partner in partners.all()]


async def officer_partner(*, session: AsyncSession, officer_id: str, partner_id: UUID) -> KpiPartner:
    """One of the officer's partners; NotFound for any other."""
    partner = await session.get(KpiPartner, (officer_id, partner_id))
    if partner is None:
        raise NotFound(f"partner {partner_id} not found among yours; GET /v1/partners lists them")
    return partner


async def link_clinic(
    *, session: AsyncSession, officer_id: str, partner_id: UUID, clinic_id: UUID
) -> PartnerPublic:
    """Let the partner publish for one more of the officer's clinics (idempotent)."""
    partner = await officer_partner(session=session, officer_id=officer_id, partner_id=partner_id)
    await officer_clinic(session=session, officer_id=officer_id, clinic_id=clinic_id)
    if await session.get(KpiPartnerClinic, (officer_id, partner_id, clinic_id)) is None:
        session.add(KpiPartnerClinic(officer_id=officer_id, partner_id=partner_id, clinic_id=clinic_id))
        await session.commit()
    return await partner_public(session=session, partner=partner)


async def unlink_clinic(
    *, session: AsyncSession, officer_id: str, partner_id: UUID, clinic_id: UUID
) -> PartnerPublic:
    """Stop accepting the partner's events for a clinic."""
    partner = await officer_partner(session=session, officer_id=officer_id, partner_id=partner_id)
    link = await session.get(KpiPartnerClinic, (officer_id, partner_id, clinic_id))
    if link is not None:
        await session.delete(link)
        await session.commit()
    return await partner_public(session=session, partner=partner)


async def authenticate_partner(*, session: AsyncSession, api_key: str) -> KpiPartner | None:
    """The partner holding `api_key`, or None."""
    key_hash = hash_api_key(api_key)
    partner = (await session.exec(select(KpiPartner).where(KpiPartner.api_key_hash == key_hash))).first()
    if partner is None or not hmac.compare_digest(partner.api_key_hash, key_hash):
        return None
    return partner


class PartnerWithClinics(NamedTuple):
    partner: KpiPartner
    clinics: frozenset[UUID]  # the clinics it may publish for


class PartnerLookup:
    """Partners by API key, with their linked clinics, read at most every `ttl` seconds each.

    Every partner request needs both; a partner posting many batches a second is read once per
    interval instead of twice per request. A link or unlink served by this process applies at
    once (`forget`); one served by another instance of the service, within `ttl`. Unknown keys
    are never remembered.
    """

    def __init__(self, sessions: SessionFactory, *, ttl: float = 2.0) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self._known: dict[str, tuple[float, PartnerWithClinics]] = {}

    async def find(self, api_key: str) -> PartnerWithClinics | None:
        key_hash = hash_api_key(api_key)
        now = time.monotonic()
        known = self._known.get(key_hash)
        if known is not None and known[0] > now:
            return known[1]
        async with self.sessions() as session:
            partner = await authenticate_partner(session=session, api_key=api_key)
            if partner is None:
                self._known.pop(key_hash, None)
                return None
            found = PartnerWithClinics(
                partner, frozenset(await linked_clinics(session=session, partner=partner))
            )
        self._known[key_hash] = (now + self.ttl, found)
        return found

    def forget(self, partner_id: UUID) -> None:
        """Read this partner afresh on its next request (its links changed)."""
        for key_hash, (_, known) in list(self._known.items()):
            if known.partner.id == partner_id:
                del self._known[key_hash]
