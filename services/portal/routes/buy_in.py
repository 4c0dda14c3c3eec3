"""A plan's staff buy-in, by forms: record a communication to staff, a training held and who
attended (picked from the roster), waive preparation, open a survey round and hand out its
single-use links (shown once), more links, close a round. Each is roadmap's buy-in API, sent as the
officer after CSRF and ownership checks; bad input is a 422 naming the field.
"""

from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError

from services.portal.officer import actions, staff, tenancy
from services.portal.officer.sessions import SignedIn
from services.portal.routes.clinic import field_errors
from services.portal.routes.web import OfficerDep, act_and_confirm, check_csrf, render
from services.portal.settings import settings_of
from shared.api_client import Refusal, roadmap
from shared.app import SessionDep
from shared.events.buy_in import (
    COMMUNICATION_KINDS,
    STAFF_AUDIENCES,
    SURVEY_STAGES,
    CommunicationKind,
    StaffAudience,
    SurveyStage,
)
from shared.free_text import FreeText

router = APIRouter(include_in_schema=False)


class CommunicationForm(BaseModel):
    kind: CommunicationKind
    audiences: list[StaffAudience] = Field(min_length=1, max_length=len(STAFF_AUDIENCES))


class TrainingForm(BaseModel):
    attendees: list[str] = Field(min_length=1, max_length=500)


class WaiverForm(BaseModel):
    reason: FreeText = Field(min_length=10, max_length=500)


class SurveyForm(BaseModel):
    stage: SurveyStage
    open_days: int = Field(default=14, ge=1, le=60)


class MoreLinksForm(BaseModel):
    links: int = Field(ge=1, le=100)


async def _buy_in_page(
    request: Request,
    session: SessionDep,
    officer: SignedIn,
    plan_id: str,
    *,
    errors: dict[str, str] | None = None,
    new_links: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    clinic = await tenancy.owned_clinic(
        session=session, clinic_id=plan.clinic_id, officer_id=officer.officer_id
    )
    problem = ""
    try:
        buy_in: dict[str, Any] | None = await actions.as_officer(
            request, officer, roadmap.buy_in(plan_id=plan.id)
        )
    except Refusal as refused:
        buy_in, problem = None, f"Roadmap did not answer: {refused.reason}"
    else:
        _moments(buy_in)
    return render(
        request,
        "buy_in.html",
        {
            "plan": plan,
            "clinic": clinic,
            "buy_in": buy_in,
            "problem": problem,
            "errors": errors or {},
            "new_links": new_links,
            "people": await staff.roster(session, clinic.id, active_only=True),
            "names": await staff.names_of(session, clinic.id, secret=settings_of(request).pseudonym_secret),
            "kinds": COMMUNICATION_KINDS,
            "audiences": STAFF_AUDIENCES,
            "stages": SURVEY_STAGES,
        },
        officer=officer,
        status_code=status_code,
    )


def _moments(buy_in: dict[str, Any] | None) -> None:
    """Roadmap's JSON times as datetimes, which the page shows on the clinic's clock."""
    for item, key in [
        *((item, "sent_at") for item in (buy_in or {}).get("communications", [])),
        *((item, "expires_at") for item in (buy_in or {}).get("surveys", [])),
    ]:
        if isinstance(item.get(key), str):
            item[key] = datetime.fromisoformat(item[key])


@router.get("/plans/{plan_id}/buy-in", response_class=HTMLResponse)
async def buy_in_page(plan_id: str, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    """What the staff were told, who was trained, the survey rounds; a form for each."""
    return await _buy_in_page(request, session, officer, plan_id)


M = TypeVar("M", bound=BaseModel)


async def _checked(
    request: Request,
    session: SessionDep,
    officer: SignedIn,
    plan_id: str,
    *,
    model: type[M],
    raw: dict[str, Any],
) -> M | Response:
    """The validated form, or the page again with each field's problem (422)."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        return await _buy_in_page(
            request, session, officer, plan_id, errors=field_errors(error), status_code=422
        )


@router.post("/plans/{plan_id}/buy-in/communications", response_class=HTMLResponse)
async def record_communication(
    plan_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    form = await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    audiences = [str(value) for value in (await request.form()).getlist("audiences")]
    raw = {"kind": form.get("kind"), "audiences": audiences}
    told = await _checked(request, session, officer, plan_id, model=CommunicationForm, raw=raw)
    if isinstance(told, Response):
        return told
    return await act_and_confirm(
        request,
        officer,
        roadmap.record_communication(plan_id=plan.id, kind=told.kind, audiences=told.audiences),
        back=f"/plans/{plan.id}/buy-in",
        refused="Roadmap refused the communication",
        done="Communication recorded.",
    )


@router.post("/plans/{plan_id}/buy-in/trainings", response_class=HTMLResponse)
async def record_training(
    plan_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    attendees = [str(value) for value in (await request.form()).getlist("attendees")]
    held = await _checked(
        request, session, officer, plan_id, model=TrainingForm, raw={"attendees": attendees}
    )
    if isinstance(held, Response):
        return held
    on_roster = {person.pseudonym for person in await staff.roster(session, plan.clinic_id, active_only=True)}
    if not set(held.attendees) <= on_roster:
        errors = {"attendees": "tick people on the clinic's roster: one ticked is no longer on it"}
        return await _buy_in_page(request, session, officer, plan_id, errors=errors, status_code=422)
    return await act_and_confirm(
        request,
        officer,
        roadmap.record_training(plan_id=plan.id, status="held", attendees=held.attendees),
        back=f"/plans/{plan.id}/buy-in",
        refused="Roadmap refused the training",
        done=f"Training recorded: {len(held.attendees)} attended.",
    )


@router.post("/plans/{plan_id}/buy-in/waiver", response_class=HTMLResponse)
async def waive(plan_id: str, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    waiver = await _checked(
        request,
        session,
        officer,
        plan_id,
        model=WaiverForm,
        raw={"reason": str(form.get("reason", "")).strip()},
    )
    if isinstance(waiver, Response):
        return waiver
    return await act_and_confirm(
        request,
        officer,
        roadmap.waive_preparation(plan_id=plan.id, reason=waiver.reason),
        back=f"/plans/{plan.id}/buy-in",
        refused="Roadmap refused the waiver",
        done="Recorded: the plan may leave preparation without them.",
    )


async def _links_or_refusal(
    request: Request, session: SessionDep, officer: SignedIn, plan_id: str, *, call: Any, refused_text: str
) -> Response:
    """Roadmap's new links on the page (shown once), or its reason."""
    try:
        opened = await actions.as_officer(request, officer, call)
    except Refusal as refusal:
        errors = {name.split(".")[-1]: text for name, text in refusal.fields.items()} or {
            "form": f"{refused_text}: {refusal.reason}"
        }
        return await _buy_in_page(request, session, officer, plan_id, errors=errors, status_code=422)
    page = await _buy_in_page(request, session, officer, plan_id, new_links=opened, status_code=201)
    page.headers["Cache-Control"] = "no-store"  # single-use links: never from a cache
    return page


@router.post("/plans/{plan_id}/buy-in/surveys", response_class=HTMLResponse)
async def open_survey(plan_id: str, request: Request, session: SessionDep, officer: OfficerDep) -> Response:
    form = await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    raw = {key: form[key] for key in ("stage", "open_days") if str(form.get(key) or "").strip()}
    survey = await _checked(request, session, officer, plan_id, model=SurveyForm, raw=raw)
    if isinstance(survey, Response):
        return survey
    call = roadmap.open_survey_round(plan_id=plan.id, stage=survey.stage, open_days=survey.open_days)
    return await _links_or_refusal(
        request, session, officer, plan_id, call=call, refused_text="Roadmap refused the survey"
    )


@router.post("/plans/{plan_id}/buy-in/surveys/{round_id}/links", response_class=HTMLResponse)
async def more_links(
    plan_id: str, round_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    form = await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    more = await _checked(
        request, session, officer, plan_id, model=MoreLinksForm, raw={"links": form.get("links") or None}
    )
    if isinstance(more, Response):
        return more
    call = roadmap.more_survey_links(plan_id=plan.id, round_id=round_id, links=more.links)
    return await _links_or_refusal(
        request, session, officer, plan_id, call=call, refused_text="Roadmap made no more links"
    )


@router.post("/plans/{plan_id}/buy-in/surveys/{round_id}/revoke")
async def close_round(
    plan_id: str, round_id: str, request: Request, session: SessionDep, officer: OfficerDep
) -> Response:
    await check_csrf(request, officer)
    plan = await tenancy.owned_plan(session=session, plan_id=plan_id, officer_id=officer.officer_id)
    return await act_and_confirm(
        request,
        officer,
        roadmap.revoke_survey_round(plan_id=plan.id, round_id=round_id),
        back=f"/plans/{plan.id}/buy-in",
        refused="Roadmap did not close the round",
        done="Round closed: its links open nothing now, and its results show from 5 answers.",
    )
