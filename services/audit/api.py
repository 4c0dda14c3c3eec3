"""Audit's HTTP routes: thin, they check the officer, validate and call service functions.

Domain errors (NotFound, Conflict, Refused) and an unreachable Temporal become HTTP answers in
shared/app.py; no route catches them.
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Discriminator, Tag

from services.audit import entries_csv, service, starter
from services.audit.findings import AuditFindings
from services.audit.models import (
    AuditClinic,
    AuditImport,
    AuditImportPublic,
    AuditWindow,
    AuditWindowCreate,
    AuditWindowPublic,
    EntriesCreated,
    EntryCreate,
    EntryPublic,
    ImportReport,
)
from services.audit.settings import AuditSettings
from shared.app import SessionDep, TemporalDep
from shared.auth import CurrentOfficer
from shared.errors import Refused

router = APIRouter(prefix="/v1", tags=["audits"])

MAX_BATCH = 1000
CSV_MEDIA_TYPE = "text/csv"


def _settings(request: Request) -> AuditSettings:
    settings: AuditSettings = request.app.state.runtime.settings
    return settings


SettingsDep = Annotated[AuditSettings, Depends(_settings)]


def _one_or_many(value: Any) -> str:
    return "entries" if isinstance(value, list) else "entry"


# One entry or a list: validated as whichever was sent, so errors name only that shape.
EntriesIn = Annotated[
    Annotated[EntryCreate, Tag("entry")] | Annotated[list[EntryCreate], Tag("entries")],
    Discriminator(_one_or_many),
]


class FindingsPublic(BaseModel):
    """A closed audit's findings, with the window they describe."""

    audit_id: UUID
    clinic_id: UUID
    starts_on: str
    ends_on: str
    close_reason: str | None
    closed_at: datetime | None
    findings: AuditFindings


class CloseRequested(BaseModel):
    audit_id: UUID
    status: str
    detail: str


async def _officers_clinic(session: SessionDep, clinic_id: UUID, officer: CurrentOfficer) -> AuditClinic:
    return await service.get_clinic(session=session, clinic_id=clinic_id, officer_id=officer.id)


async def _officers_audit(session: SessionDep, audit_id: UUID, officer: CurrentOfficer) -> AuditWindow:
    return await service.get_audit(session=session, audit_id=audit_id, officer_id=officer.id)


ClinicDep = Annotated[AuditClinic, Depends(_officers_clinic)]
AuditDep = Annotated[AuditWindow, Depends(_officers_audit)]


async def _public(session: SessionDep, audit: AuditWindow) -> AuditWindowPublic:
    entries = await service.count_entries(session=session, audit_id=audit.id)
    return AuditWindowPublic.model_validate({**audit.model_dump(), "entries": entries})


@router.post(
    "/clinics/{clinic_id}/audits",
    status_code=status.HTTP_201_CREATED,
    response_model=AuditWindowPublic,
    responses={
        409: {"description": "the clinic already has an open audit window"},
        503: {"description": "Temporal is not reachable: nothing was opened"},
    },
)
async def open_audit(
    clinic: ClinicDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    window_in: AuditWindowCreate | None = None,
) -> AuditWindowPublic:
    """Open an audit window (default seven days from today); it closes by itself at its end."""
    audit = await service.open_audit(
        session=session,
        clinic=clinic,
        window_in=window_in or AuditWindowCreate(),
        today=clinic.calendar().today(),
    )
    # Started before the commit: if Temporal refuses, no window without a timer is left behind.
    await starter.start_window_timer(temporal, audit, task_queue=settings.temporal_task_queue)
    await session.commit()
    return await _public(session, audit)


@router.get("/clinics/{clinic_id}/audits", response_model=list[AuditWindowPublic])
async def list_audits(clinic: ClinicDep, session: SessionDep) -> list[AuditWindowPublic]:
    """A clinic's audit windows, newest first."""
    return [
        await _public(session, audit)
        for audit in await service.list_audits(session=session, clinic_id=clinic.id)
    ]


@router.get("/audits/{audit_id}", response_model=AuditWindowPublic)
async def read_audit(audit: AuditDep, session: SessionDep) -> AuditWindowPublic:
    """One audit window and how many entries it has."""
    return await _public(session, audit)


@router.post(
    "/audits/{audit_id}/close",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CloseRequested,
    responses={409: {"description": "the audit is already closed"}},
)
async def close_audit(audit: AuditDep, temporal: TemporalDep) -> CloseRequested:
    """Close the window before its end; the findings follow within moments."""
    service.ensure_closable(audit)
    await starter.request_close(temporal, audit)
    return CloseRequested(
        audit_id=audit.id,
        status="closing",
        detail=f"findings will be at GET /v1/audits/{audit.id}/findings once computed",
    )


@router.post(
    "/audits/{audit_id}/entries",
    status_code=status.HTTP_201_CREATED,
    response_model=EntriesCreated,
    responses={409: {"description": "the audit is closed"}, 422: {"description": "bad entries, none stored"}},
)
async def add_entries(
    audit: AuditDep, session: SessionDep, entries_in: EntriesIn
) -> EntriesCreated | JSONResponse:
    """Log one task entry, or a list of them (all stored, or none)."""
    entries = entries_in if isinstance(entries_in, list) else [entries_in]
    if not entries or len(entries) > MAX_BATCH:
        raise Refused(f"send between 1 and {MAX_BATCH} entries per request; split a longer list")
    clinic = await session.get(AuditClinic, audit.clinic_id)
    assert clinic is not None
    rejected = await service.add_entries(session=session, audit=audit, clinic=clinic, entries=entries)
    if rejected:
        # FastAPI's own validation shape, so clients handle both kinds of 422 alike.
        body = isinstance(entries_in, list)
        detail = [
            {
                "loc": ["body", "entries", error.line - 1, error.column]
                if body
                else ["body", "entry", error.column],
                "msg": error.reason,
                "type": "value_error",
            }
            for error in rejected
        ]
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    await session.commit()
    return EntriesCreated(audit_id=audit.id, created=len(entries))


@router.get("/audits/{audit_id}/entries", response_model=list[EntryPublic])
async def list_entries(
    audit: AuditDep,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """The audit's entries, by day."""
    return await service.list_entries(session=session, audit_id=audit.id, offset=offset, limit=limit)


@router.get(
    "/audits/{audit_id}/entries:template",
    response_class=PlainTextResponse,
    responses={200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "the CSV template"}},
)
async def entries_template(audit: AuditDep, session: SessionDep) -> PlainTextResponse:
    """The CSV template to fill in: the header and one example row to replace."""
    clinic = await session.get(AuditClinic, audit.clinic_id)
    roles = sorted(service.clinic_roles(clinic).values()) if clinic is not None else []
    text = entries_csv.template(role=roles[0] if roles else "front desk", day=audit.starts_on)
    return PlainTextResponse(
        text,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="audit-{audit.id}-template.csv"'},
    )


@router.post(
    "/audits/{audit_id}/entries:import",
    response_model=ImportReport,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "dry run: the file is good, nothing stored", "model": ImportReport},
        409: {"description": "the audit is closed, or this very file was imported already"},
        413: {"description": "the file is too large"},
        422: {"description": "bad rows: nothing stored, every problem listed", "model": ImportReport},
    },
    openapi_extra={
        "requestBody": {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_entries(
    audit: AuditDep,
    session: SessionDep,
    request: Request,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="check the whole file, store nothing")] = False,
) -> ImportReport | JSONResponse:
    """Import a filled-in template (the CSV file as the request body), all or nothing."""
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > settings.max_import_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"the file is larger than {settings.max_import_bytes} bytes; split it",
            )
    try:
        csv_text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # "CSV (Comma delimited)" from a spreadsheet on Windows is cp1252, not UTF-8.
        csv_text = raw.decode("cp1252", errors="replace")
    clinic = await session.get(AuditClinic, audit.clinic_id)
    assert clinic is not None
    report = await service.import_entries(
        session=session, audit=audit, clinic=clinic, csv_text=csv_text, dry_run=dry_run
    )
    if report.errors:
        return JSONResponse(report.model_dump(mode="json"), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    if dry_run:
        return JSONResponse(report.model_dump(mode="json"), status_code=status.HTTP_200_OK)
    await session.commit()
    return report


@router.get("/audits/{audit_id}/imports", response_model=list[AuditImportPublic])
async def list_imports(audit: AuditDep, session: SessionDep) -> list[AuditImport]:
    """The spreadsheets imported into this audit, oldest first, with the ones undone."""
    return list(await service.list_imports(session=session, audit=audit))


@router.delete(
    "/audits/{audit_id}/imports/{import_id}",
    response_model=AuditImportPublic,
    responses={404: {"description": "no such import"}, 409: {"description": "the audit is closed"}},
)
async def undo_import(audit: AuditDep, import_id: UUID, session: SessionDep) -> AuditImport:
    """Undo an import: its entries are removed (the rest of the audit stays). Undoing twice is harmless."""
    record = await service.undo_import(session=session, audit=audit, import_id=import_id)
    await session.commit()
    return record


@router.get(
    "/audits/{audit_id}/findings",
    response_model=FindingsPublic,
    responses={409: {"description": "the audit is still open"}},
)
async def read_findings(audit: AuditDep) -> FindingsPublic:
    """Where the hours go and what to automate first; available once the window closed."""
    findings = service.closed_findings(audit)
    return FindingsPublic(
        audit_id=audit.id,
        clinic_id=audit.clinic_id,
        starts_on=audit.starts_on.isoformat(),
        ends_on=audit.ends_on.isoformat(),
        close_reason=audit.close_reason,
        closed_at=audit.closed_at,
        findings=findings,
    )
