"""KPI monitoring's HTTP routes: officers manage partners and read KPIs; partners post events.

Thin: they authenticate, validate the request's shape and call the domain modules; domain
errors become HTTP answers in one place (shared.app.install_error_handlers).
"""

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kpi import deliveries, evaluation, ingest, kpis, partners, series
from services.kpi.charts import kpi_chart_svg
from services.kpi.clinics import clinic_calendar, officer_clinic
from services.kpi.models import (
    AlertPublic,
    ClinicKpis,
    EvaluationReport,
    IngestionReport,
    PartnerCreate,
    PartnerCreated,
    PartnerPublic,
)
from services.kpi.settings import KpiSettings
from shared import clock
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.events.kpi import KpiName
from shared.events.partner import PartnerEventIn

partners_router = APIRouter(prefix="/v1/partners", tags=["partners"])
ingestion_router = APIRouter(prefix="/v1", tags=["partner events"])
kpis_router = APIRouter(prefix="/v1/clinics", tags=["kpis"])

_partner_key = HTTPBearer(auto_error=False, description="The partner API key from POST /v1/partners.")
MAX_RANGE_DAYS = 366
# A full door drains in well under a second (tests/bench/bench_kpi_http.py).
RETRY_AFTER_SECONDS = 1


def _settings(request: Request) -> KpiSettings:
    return cast(KpiSettings, request.app.state.runtime.settings)


# --- partners (officers) ------------------------------------------------------------------


@partners_router.post("", status_code=status.HTTP_201_CREATED, response_model=PartnerCreated)
async def register_partner(
    partner_in: PartnerCreate, officer: CurrentOfficer, session: SessionDep, request: Request
) -> object:
    """Register an integration partner linked to some of your clinics.

    The answer holds the partner's API key and Standard Webhooks signing secret: they are shown
    this once (the key is stored only as a hash, the secret encrypted).
    """
    return await partners.create_partner(
        session=session,
        officer_id=officer.id,
        partner_in=partner_in,
        secrets_box=_settings(request).partner_secrets,
    )


@partners_router.get("", response_model=list[PartnerPublic])
async def list_partners(officer: CurrentOfficer, session: SessionDep) -> object:
    """Your partners and the clinics each may publish for."""
    return await partners.list_partners(session=session, officer_id=officer.id)


@partners_router.put("/{partner_id}/clinics/{clinic_id}", response_model=PartnerPublic)
async def link_clinic(
    partner_id: UUID, clinic_id: UUID, officer: CurrentOfficer, session: SessionDep, request: Request
) -> object:
    """Let the partner publish events for one more of your clinics."""
    linked = await partners.link_clinic(
        session=session, officer_id=officer.id, partner_id=partner_id, clinic_id=clinic_id
    )
    _front_door(request).partners.forget(partner_id)
    return linked


@partners_router.delete("/{partner_id}/clinics/{clinic_id}", response_model=PartnerPublic)
async def unlink_clinic(
    partner_id: UUID, clinic_id: UUID, officer: CurrentOfficer, session: SessionDep, request: Request
) -> object:
    """Stop accepting the partner's events for a clinic."""
    linked = await partners.unlink_clinic(
        session=session, officer_id=officer.id, partner_id=partner_id, clinic_id=clinic_id
    )
    _front_door(request).partners.forget(partner_id)
    return linked


@partners_router.get("/{partner_id}/deliveries", response_model=deliveries.PartnerDeliveries)
async def partner_deliveries(partner_id: UUID, officer: CurrentOfficer, session: SessionDep) -> object:
    """The partner's delivery console: its last 50 signed requests (webhook-id, time, outcome, the
    reason of a refusal), its last event per type, its error rate over 7 days, and whether a key
    rotation's window is open."""
    return await deliveries.partner_deliveries(session=session, officer_id=officer.id, partner_id=partner_id)


@partners_router.post("/{partner_id}/webhook-secret", response_model=deliveries.SecretRotated)
async def rotate_webhook_secret(
    partner_id: UUID,
    rotation: deliveries.SecretRotation,
    officer: CurrentOfficer,
    session: SessionDep,
    request: Request,
) -> object:
    """Rotate the partner's webhook secret: the new one is in this answer only; the one it replaces
    still verifies for `window_hours` (1 to 168), so the partner can switch without losing a request."""
    rotated = await deliveries.rotate_secret(
        session=session,
        officer_id=officer.id,
        partner_id=partner_id,
        rotation=rotation,
        secrets_box=_settings(request).partner_secrets,
    )
    _front_door(request).partners.forget(partner_id)
    return rotated


# --- ingestion (partners) -----------------------------------------------------------------


def _front_door(request: Request) -> ingest.FrontDoor:
    door: ingest.FrontDoor = request.app.state.front_door
    return door


async def current_partner(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_partner_key)]
) -> partners.PartnerWithClinics:
    """The partner whose API key is presented, with its clinics, or 401."""
    found = None
    if credentials is not None:
        found = await _front_door(request).partners.find(credentials.credentials)
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or unknown partner key: send 'Authorization: Bearer <api key from POST /v1/partners>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


CurrentPartner = Annotated[partners.PartnerWithClinics, Depends(current_partner)]


async def verified_body(request: Request, partner: CurrentPartner) -> bytes:
    """The request body, once its Standard Webhooks signature is verified with the partner's secret."""
    payload = await request.body()
    try:
        ingest.verify_signature(
            partner=partner.partner,
            secrets_box=_settings(request).partner_secrets,
            payload=payload,
            headers=request.headers,
        )
    except ingest.SignatureRefused as error:
        await _front_door(request).refuse(
            partner.partner, request.headers.get("webhook-id"), error.reason, now=clock.now()
        )
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    except ingest.SecretUnreadable as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    return payload


VerifiedBody = Annotated[bytes, Depends(verified_body)]


async def admitted(request: Request) -> AsyncIterator[ingest.FrontDoor]:
    """A place at the front door for this batch, or 429 at once when the door is full."""
    door = _front_door(request)
    if not door.admit():
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "busy taking in other batches: send this request again after Retry-After seconds, "
            "with the same webhook-id (nothing of it was kept)",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        yield door
    finally:
        door.leave()


AdmittedDoor = Annotated[ingest.FrontDoor, Depends(admitted)]

_BATCH_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/cloudevents-batch+json": {"schema": {"type": "array", "maxItems": ingest.MAX_BATCH}},
            "application/json": {"schema": {"type": "array", "maxItems": ingest.MAX_BATCH}},
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
    responses={429: {"description": "busy: retry after `Retry-After` seconds with the same webhook-id"}},
)
async def post_partner_events(
    request: Request, door: AdmittedDoor, partner: CurrentPartner, payload: VerifiedBody
) -> Response:
    """Up to 1,000 partner events, signed the Standard Webhooks way.

    Headers: `Authorization: Bearer <api key>`, `webhook-id`, `webhook-timestamp`,
    `webhook-signature` (HMAC-SHA256 of `id.timestamp.body` with the partner's secret). A request
    older than five minutes is refused. Events for a clinic the partner is not linked to refuse
    the whole batch (422, nothing stored); otherwise each event is accepted, a duplicate of one
    this partner sent before, or rejected with reasons. Accepted events are stored before the
    202. A webhook-id received before is a retry: answered 202 with `redelivery` true, its events
    duplicates. When busy the answer is 429 with `Retry-After`; nothing of that request is kept.
    """
    report = await door.accept(
        partner=partner, webhook_id=request.headers["webhook-id"], payload=payload, now=clock.now()
    )
    # Serialized once, here: FastAPI would validate the thousand results again on the way out.
    return Response(report.model_dump_json(), status.HTTP_202_ACCEPTED, media_type="application/json")


# --- KPIs (officers) ----------------------------------------------------------------------


# KPI dates a person could mean: far-off years only overflow the date arithmetic.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 1, 1)


def _not_in_the_future(as_of: date | None, *, today: date) -> date:
    """Snapshots for weeks that have not happened would never be replaced by real ones."""
    if as_of is not None and as_of > today:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"as_of must not be in the future (today is {today})"
        )
    return as_of or today


@kpis_router.get("/{clinic_id}/kpis", response_model=ClinicKpis)
async def read_kpis(
    clinic_id: UUID,
    *,
    officer: CurrentOfficer,
    session: SessionDep,
    granularity: kpis.Granularity = "week",
    start: Annotated[date | None, Query(ge=EARLIEST_DAY, le=LATEST_DAY)] = None,
    end: Annotated[date | None, Query(ge=EARLIEST_DAY, le=LATEST_DAY)] = None,
    kpi: Annotated[list[str] | None, Query(description="only these KPIs (repeat the parameter)")] = None,
) -> object:
    """KPI series by day or ISO week (event time), with baseline and target of the active initiative.

    Periods without data say so (`value` null, `no_data` the reason). Default: the last 8 weeks.
    Days and weeks are the clinic's own (its time zone; weeks run Monday to Sunday).
    """
    end = end or (await clinic_calendar(session, clinic_id)).today()
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
    return await series.clinic_kpis(
        session=session,
        officer_id=officer.id,
        clinic_id=clinic_id,
        granularity=granularity,
        start=start,
        end=end,
        names=kpi or (),
    )


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
    end = (await clinic_calendar(session, clinic_id)).today()
    clinic_kpis = await series.clinic_kpis(
        session=session,
        officer_id=officer.id,
        clinic_id=clinic_id,
        granularity=granularity,
        start=end - timedelta(weeks=weeks),
        end=end,
        names=(kpi_name,),
    )
    return Response(kpi_chart_svg(clinic_kpis.kpis[0]), media_type="image/svg+xml")


@kpis_router.get("/{clinic_id}/kpi-alerts", response_model=list[AlertPublic])
async def read_alerts(clinic_id: UUID, officer: CurrentOfficer, session: SessionDep) -> object:
    """Alerts raised for the clinic (adoption decline, target regression), with their evidence."""
    return await evaluation.list_alerts(session=session, officer_id=officer.id, clinic_id=clinic_id)


@kpis_router.post("/{clinic_id}/kpis/evaluate", response_model=EvaluationReport)
async def evaluate(
    clinic_id: UUID,
    officer: CurrentOfficer,
    session: SessionDep,
    as_of: Annotated[date | None, Query(ge=EARLIEST_DAY, le=LATEST_DAY)] = None,
) -> Any:
    """Send the clinic's due weekly snapshots and alerts now (the service also does it periodically).

    `as_of` evaluates the weeks completed before that date (default today); each week's snapshot
    and each alert goes out once, however often this runs.
    """
    clinic = await officer_clinic(session=session, officer_id=officer.id, clinic_id=clinic_id)
    done = await evaluation.evaluate_clinic(
        session=session, clinic_id=clinic_id, as_of=_not_in_the_future(as_of, today=clinic.calendar().today())
    )
    return evaluation.evaluation_report(done)
