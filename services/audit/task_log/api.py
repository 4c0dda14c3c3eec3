"""Self-logging routes: the officer's links and daily "not logged yet" list, and the public phone form.

Public routes take the link's token in the X-Faio-Link header (shared/public_links.py); the
portal serves the page and calls them server-side.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, status

from services.audit.api import AuditDep, SettingsDep
from services.audit.models import AuditClinic, AuditWindow
from services.audit.task_log import service as task_log
from services.audit.task_log.models import (
    CATEGORY_LABELS,
    PREDICTABILITY_LABELS,
    TOOLS,
    Choice,
    LoggingStatus,
    RosterMember,
    TaskLogForm,
    TaskLogged,
    TaskLogLinkCreate,
    TaskLogLinkPublic,
    TaskLogSubmit,
)
from services.audit.task_log.tables import TaskLogLink
from shared.app import SessionDep
from shared.auth import CurrentOfficer
from shared.public_links import (
    LINK_HEADER,
    LinkPurpose,
    RateLimit,
    check_submission,
    issue_form_stamp,
    issue_link,
    verify_link,
)

router = APIRouter(prefix="/v1", tags=["audits"])
public_router = APIRouter(prefix="/v1/public", tags=["public forms"])

# Per link: a clinic's staff log a few tasks each a day; a leaked link cannot flood the audit.
# (Per-client limits live at the portal, which sees the phone's address.)
SUBMISSIONS_PER_LINK = RateLimit("300/hour", scope="task-log-link")
PUBLIC_PAGE = "/t/{token}"


async def _clinic_of(session: SessionDep, audit: AuditDep) -> AuditClinic:
    clinic = await session.get(AuditClinic, audit.clinic_id)
    assert clinic is not None  # an audit is only opened for a known clinic
    return clinic


ClinicOfAudit = Annotated[AuditClinic, Depends(_clinic_of)]


@router.post(
    "/audits/{audit_id}/task-log-links", status_code=status.HTTP_201_CREATED, response_model=TaskLogLinkPublic
)
async def create_task_log_link(
    audit: AuditDep,
    clinic: ClinicOfAudit,
    session: SessionDep,
    settings: SettingsDep,
    link_in: TaskLogLinkCreate | None = None,
) -> object:
    """A link staff open on their phone to log tasks under their pseudonym (shown once)."""
    roster = link_in.roster if link_in is not None else None
    link = await task_log.create_link(session=session, audit=audit, clinic=clinic, roster=roster)
    token = issue_link(
        settings,
        purpose=LinkPurpose.TASK_LOG,
        link_id=str(link.id),
        subject_id=str(audit.id),
        expires_at=link.expires_at,
    )
    url = settings.portal_url.rstrip("/") + PUBLIC_PAGE.format(token=token)
    return task_log.link_public(link, url=url, token=token)


@router.get("/audits/{audit_id}/task-log-links", response_model=list[TaskLogLinkPublic])
async def list_task_log_links(audit: AuditDep, session: SessionDep) -> object:
    """The audit's links, oldest first (never their tokens)."""
    return [task_log.link_public(link) for link in await task_log.links_of(session=session, audit=audit)]


@router.post("/task-log-links/{link_id}/revoke", response_model=TaskLogLinkPublic)
async def revoke_task_log_link(link_id: UUID, officer: CurrentOfficer, session: SessionDep) -> object:
    """Refuse the link from now on; what was logged through it stays."""
    link = await task_log.get_link(session=session, link_id=link_id, officer_id=officer.id)
    return task_log.link_public(await task_log.revoke_link(session=session, link=link))


@router.get("/audits/{audit_id}/logging-status", response_model=LoggingStatus)
async def logging_status(audit: AuditDep, clinic: ClinicOfAudit, session: SessionDep) -> object:
    """Per day so far, who on the roster has logged and who has not yet."""
    return await task_log.logging_status(
        session=session, audit=audit, clinic=clinic, today=clinic.calendar().today()
    )


# --- public: a staff member on their phone, without an account ----------------------------------


async def live_link(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Header(alias=LINK_HEADER, description="the task-log link's token")] = "",
) -> tuple[TaskLogLink, AuditWindow, AuditClinic]:
    """The link, audit and clinic a token names; 422 saying what to do if expired, forged, revoked."""
    claims = verify_link(settings, token, purpose=LinkPurpose.TASK_LOG)
    return await task_log.live_link(session=session, claims=claims)


LiveLink = Annotated[tuple[TaskLogLink, AuditWindow, AuditClinic], Depends(live_link)]


@public_router.get("/task-log", response_model=TaskLogForm)
async def task_log_form(live: LiveLink, settings: SettingsDep) -> object:
    """The roster to pick from, the choices and a signed fill-time stamp."""
    link, audit, clinic = live
    return TaskLogForm(
        clinic_name=clinic.name,
        roster=[RosterMember.model_validate(member) for member in link.roster],
        categories=[Choice(id=category.value, label=label) for category, label in CATEGORY_LABELS.items()],
        predictability=[Choice(id=kind.value, label=label) for kind, label in PREDICTABILITY_LABELS.items()],
        tools=list(TOOLS),
        starts_on=audit.starts_on,
        ends_on=audit.ends_on,
        today=clinic.calendar().today(),
        form_stamp=issue_form_stamp(settings, link_id=str(link.id)),
    )


@public_router.post("/task-log", status_code=status.HTTP_201_CREATED, response_model=TaskLogged)
async def log_task(
    task: TaskLogSubmit, live: LiveLink, session: SessionDep, settings: SettingsDep, request: Request
) -> object:
    """Log one task under the chosen pseudonym; it counts in the audit like any other entry."""
    link, audit, clinic = live
    await SUBMISSIONS_PER_LINK.hit(str(link.id), request)
    check_submission(
        settings,
        link_id=str(link.id),
        honeypot=task.website,
        form_stamp=task.form_stamp,
        min_fill_seconds=task_log.MIN_FILL_SECONDS,
    )
    return await task_log.log_task(session=session, link=link, audit=audit, clinic=clinic, task=task)
