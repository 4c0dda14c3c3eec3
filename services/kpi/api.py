"""KPI monitoring's HTTP routes: officers manage partners and read KPIs; partners post events.

Thin: they authenticate, validate the request's shape and call service functions.
"""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, cast
from uuid import UUID

from cryptography.fernet import InvalidToken
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.kpi import kpis, service
from services.kpi.charts import kpi_chart_svg
from services.kpi.models import (
    AlertPublic,
    ClinicKpis,
    EvaluationReport,
    IngestionReport,
    KpiPartner,
    PartnerCreate,
    PartnerCreated,
    PartnerPublic,
)
from services.kpi.settings import KpiSettings
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.events.kpi import KpiName
from shared.events.partner import PartnerEventIn

partners_router = APIRouter(prefix="/v1/partners", tags=["partners"])
ingestion_router = APIRouter(prefix="/v1", tags=["partner events"])
kpis_router = APIRouter(prefix="/v1/clinics", tags=["kpis"])

_partner_key = HTTPBearer(auto_error=False, description="The partner API key from POST /v1/partners.")
MAX_RANGE_DAYS = 366


def _settings(request: Request) -> KpiSettings:
    return cast(KpiSettings, request.app.state.runtime.settings)


def _not_found(error: LookupError) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(error))


# --- partners (officers) ------------------------------------------------------------------


@partners_router.post("", status_code=status.HTTP_201_CREATED, response_model=PartnerCreated)
async def register_partner(
    partner_in: PartnerCreate, officer: CurrentOfficer, session: SessionDep, request: Request
) -> object:
    """Register an integration partner linked to some of your clinics.

    The answer holds the partner's API key and Standard Webhooks signing secret: they are shown
    this once (the key is stored only as a hash, the secret encrypted).
    """
    try:
        return await service.create_partner(
            session=session,
            officer_id=officer.id,
            partner_in=partner_in,
            secrets_box=_settings(request).partner_secrets,
        )
    except service.ClinicNotFound as error:
        raise _not_found(error) from error


@partners_router.get("", response_model=list[PartnerPublic])
async def list_partners(officer: CurrentOfficer, session: SessionDep) -> object:
    """Your partners and the clinics each may publish for."""
    return await service.list_partners(session=session, officer_id=officer.id)


@partners_router.put("/{partner_id}/clinics/{clinic_id}", response_model=PartnerPublic)
async def link_clinic(
    partner_id: UUID, clinic_id: UUID, officer: CurrentOfficer, session: SessionDep
) -> object:
    """Let the partner publish events for one more of your clinics."""
    try:
        return await service.link_clinic(
            session=session, officer_id=officer.id, partner_id=partner_id, clinic_id=clinic_id
        )
    except (service.ClinicNotFound, service.PartnerNotFound) as error:
        raise _not_found(error) from error


@partners_router.delete("/{partner_id}/clinics/{clinic_id}", response_model=PartnerPublic)
async def unlink_clinic(
    partner_id: UUID, clinic_id: UUID, officer: CurrentOfficer, session: SessionDep
) -> object:
    """Stop accepting the partner's events for a clinic."""
    try:
        return await service.unlink_clinic(
            session=session, officer_id=officer.id, partner_id=partner_id, clinic_id=clinic_id
        )
    except service.PartnerNotFound as error:
        raise _not_found(error) from error


# --- ingestion (partners) -----------------------------------------------------------------


async def current_partner(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_partner_key)]
) -> KpiPartner:
    """The partner whose API key is presented, or 401."""
    partner = None
    if credentials is not None:
        partner = await service.authenticate_partner(session=session, api_key=credentials.credentials)
    if partner is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or unknown partner key: send 'Authorization: Bearer <api key from POST /v1/partners>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return partner


CurrentPartner = Annotated[KpiPartner, Depends(current_partner)]

_BATCH_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/cloudevents-batch+json": {
                "schema": {"type": "array", "maxItems": service.MAX_BATCH}
            },
            "application/json": {"schema": {"type": "array", "maxItems": service.MAX_BATCH}},
        },
        "description": "A JSON array of structured CloudEvents; see PartnerEventIn: "
        + json.dumps(PartnerEventIn.model_json_schema()["properties"]),
    }
}


@ingestion_router.post(
    "/partner-events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestionReport,
    openapi_extra=_BATCH_SCHEMA,
)
async def post_partner_events(request: Request, partner: CurrentPartner, session: SessionDep) -> object:
    """Up to 1,000 partner events, signed the Standard Webhooks way.

    Headers: `Authorization: Bearer <api key>`, `webhook-id`, `webhook-timestamp`,
    `webhook-signature` (HMAC-SHA256 of `id.timestamp.body` with the partner's secret). A request
    older than five minutes, or one whose webhook-id was already received, is refused. Events
    for a clinic the partner is not linked to refuse the whole batch (403, nothing stored);
    otherwise each event is accepted, a duplicate of an earlier one, or rejected with reasons.
    """
    payload = await request.body()
    try:
        secret = service.open_webhook_secret(partner.webhook_secret, _settings(request).partner_secrets)
    except InvalidToken as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "this partner's webhook secret cannot be decrypted with the service's "
            "FAIO_PARTNER_SECRETS_KEYS (a key was removed?); the platform operator must restore it",
        ) from error
    try:
        Webhook(secret).verify(payload, dict(request.headers), json_parse=False)
    except (WebhookVerificationError, ValueError) as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"webhook signature refused ({error}): sign 'webhook-id.webhook-timestamp.body' with your "
            "webhook secret; requests older than 5 minutes are refused",
        ) from error
    try:
        events = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not JSON: {error}") from error
    if not isinstance(events, list) or not events:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, "body must be a non-empty JSON array of events"
        )
    if len(events) > service.MAX_BATCH:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"at most {service.MAX_BATCH} events a request"
        )
    now = datetime.now(UTC)
    if not await service.remember_delivery(
        session=session, partner_id=partner.id, webhook_id=request.headers["webhook-id"], now=now
    ):
        raise HTTPException(
            status.HTTP_409_CONFLICT, "replayed request: this webhook-id was already received; use a new one"
        )
    try:
        report = await service.ingest_batch(session=session, partner=partner, events=events, now=now)
    except service.ClinicsNotLinked as error:
        await session.rollback()
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"{error}; nothing of this batch was stored"
        ) from error
    try:
        await session.commit()
    except IntegrityError as error:
        # The same webhook-id or event id raced in from a concurrent request and won: a replay.
        await session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, "a concurrent request carried the same webhook-id or event ids; retry"
        ) from error
    return report


# --- KPIs (officers) ----------------------------------------------------------------------


@kpis_router.get("/{clinic_id}/kpis", response_model=ClinicKpis)
async def read_kpis(
    clinic_id: UUID,
    *,
    officer: CurrentOfficer,
    session: SessionDep,
    granularity: kpis.Granularity = "week",
    start: date | None = None,
    end: date | None = None,
    kpi: Annotated[list[str] | None, Query(description="only these KPIs (repeat the parameter)")] = None,
) -> object:
    """KPI series by day or ISO week (event time), with baseline and target of the active initiative.

    Periods without data say so (`value` null, `no_data` the reason). Default: the last 8 weeks.
    """
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(weeks=8)
    if start > end or (end - start).days > MAX_RANGE_DAYS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            f"start must be before end, at most {MAX_RANGE_DAYS} days apart",
        )
    known = {definition.name for definition in kpis.definitions()}
    unknown = sorted(set(kpi or ()) - known)
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"unknown KPI {unknown}; one of {sorted(known)}"
        )
    try:
        return await service.clinic_kpis(
            session=session,
            officer_id=officer.id,
            clinic_id=clinic_id,
            granularity=granularity,
            start=start,
            end=end,
            names=kpi or (),
        )
    except service.ClinicNotFound as error:
        raise _not_found(error) from error


@kpis_router.get(
    "/{clinic_id}/kpis/{kpi_name}/chart.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "the KPI as a line chart"}},
)
async def read_kpi_chart(
    clinic_id: UUID,
    kpi_name: KpiName,
    *,
    officer: CurrentOfficer,
    session: SessionDep,
    granularity: kpis.Granularity = "week",
    weeks: Annotated[int, Query(ge=1, le=MAX_RANGE_DAYS // 7)] = 12,
) -> Response:
    """One KPI over the last `weeks`, against baseline and target, as an SVG line chart."""
    end = datetime.now(UTC).date()
    try:
        clinic_kpis = await service.clinic_kpis(
            session=session,
            officer_id=officer.id,
            clinic_id=clinic_id,
            granularity=granularity,
            start=end - timedelta(weeks=weeks),
            end=end,
            names=(kpi_name,),
        )
    except service.ClinicNotFound as error:
        raise _not_found(error) from error
    return Response(kpi_chart_svg(clinic_kpis.kpis[0]), media_type="image/svg+xml")


@kpis_router.get("/{clinic_id}/kpi-alerts", response_model=list[AlertPublic])
async def read_alerts(clinic_id: UUID, officer: CurrentOfficer, session: SessionDep) -> object:
    """Alerts raised for the clinic (adoption decline, target regression), with their evidence."""
    try:
        return await service.list_alerts(session=session, officer_id=officer.id, clinic_id=clinic_id)
    except service.ClinicNotFound as error:
        raise _not_found(error) from error


@kpis_router.post("/{clinic_id}/kpis/evaluate", response_model=EvaluationReport)
async def evaluate(
    clinic_id: UUID, officer: CurrentOfficer, session: SessionDep, as_of: date | None = None
) -> Any:
    """Send the clinic's due weekly snapshots and alerts now (the service also does it periodically).

    `as_of` evaluates the weeks completed before that date (default today); each week's snapshot
    and each alert goes out once, however often this runs.
    """
    try:
        await service.officer_clinic(session=session, officer_id=officer.id, clinic_id=clinic_id)
    except service.ClinicNotFound as error:
        raise _not_found(error) from error
    evaluation = await service.evaluate_clinic(
        session=session, clinic_id=clinic_id, as_of=as_of or datetime.now(UTC).date()
    )
    return service.evaluation_report(evaluation)
