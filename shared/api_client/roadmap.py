"""roadmap's API: initiatives and their approval, implementation plans and the gate, staff buy-in
(and its public survey), the strategy interview and map, the solution catalog, the practice report
and the close-out report."""

from collections.abc import Sequence
from typing import Any

from shared.api_client.calls import Call, Id, Json, present
from shared.api_client.vocabulary import GateAction, PlanChange, TrainingKind, TrainingStatus
from shared.events.buy_in import CommunicationKind, StaffAudience, SurveyStage

# --- initiatives --------------------------------------------------------------------------------


def initiatives(*, clinic_id: Id) -> Call[Json]:
    """A clinic's proposed initiatives, best first, what they wait for, and the approved ones."""
    return Call("roadmap", "GET", f"/v1/clinics/{clinic_id}/initiatives")


def initiative(*, initiative_id: Id) -> Call[Json]:
    """One initiative: the five questions and where it stands."""
    return Call("roadmap", "GET", f"/v1/initiatives/{initiative_id}")


def approve(*, initiative_id: Id, approval: Json) -> Call[Json]:
    """Approve an initiative (owner, target_change_pct, pilot_group, phase_days, ...): its plan starts."""
    return Call("roadmap", "POST", f"/v1/initiatives/{initiative_id}/approve", json=approval)


# --- plans --------------------------------------------------------------------------------------


def plans(*, clinic_id: Id) -> Call[list[Json]]:
    """A clinic's plans, oldest first."""
    return Call("roadmap", "GET", f"/v1/clinics/{clinic_id}/plans")


def plan(*, plan_id: Id) -> Call[Json]:
    """A plan: its phase, live status, history, notices and buy-in."""
    return Call("roadmap", "GET", f"/v1/plans/{plan_id}")


def decide(
    *, plan_id: Id, action: GateAction, extend_days: float | None = None, note: str | None = None
) -> Call[Json]:
    """The officer's decision at the plan's evaluation gate."""
    body = present(action=action, extend_days=extend_days, note=note)
    return Call("roadmap", "POST", f"/v1/plans/{plan_id}/decisions", json=body)


def change_plan(*, plan_id: Id, change: PlanChange) -> Call[Json]:
    """Pause the plan's clock, or resume it."""
    return Call("roadmap", "POST", f"/v1/plans/{plan_id}/{change}")


def close_out_page(*, plan_id: Id) -> Call[str]:
    """A finished plan's close-out report, as an HTML page."""
    return Call("roadmap", "GET", f"/v1/plans/{plan_id}/close-out.html", reads="text")


# --- staff buy-in -------------------------------------------------------------------------------


def buy_in(*, plan_id: Id) -> Call[Json]:
    """Communications, training with attendance, the waiver and the survey rounds of a plan."""
    return Call("roadmap", "GET", f"/v1/plans/{plan_id}/buy-in")


def record_communication(
    *,
    plan_id: Id,
    kind: CommunicationKind,
    audiences: Sequence[StaffAudience],
    sent_at: str | None = None,
) -> Call[Json]:
    """A communication sent to staff: what, to which roles, when (now if left out)."""
    body = present(kind=kind, audiences=list(audiences), sent_at=sent_at)
    return Call("roadmap", "POST", f"/v1/plans/{plan_id}/buy-in/communications", json=body)


def record_training(
    *,
    plan_id: Id,
    status: TrainingStatus,
    kind: TrainingKind | None = None,
    attendees: Sequence[str] | None = None,
    held_on: str | None = None,
) -> Call[Json]:
    """A training session: held (with who attended) or booked for a day."""
    body = present(
        kind=kind, status=status, attendees=None if attendees is None else list(attendees), held_on=held_on
    )
    return Call("roadmap", "POST", f"/v1/plans/{plan_id}/buy-in/trainings", json=body)


def record_attendance(*, plan_id: Id, training_id: Id, attendees: Sequence[str]) -> Call[Json]:
    """Who attended a session (a booked one becomes held)."""
    path = f"/v1/plans/{plan_id}/buy-in/trainings/{training_id}/attendance"
    return Call("roadmap", "POST", path, json={"attendees": list(attendees)})


def waive_preparation(*, plan_id: Id, reason: str) -> Call[Json]:
    """The plan may leave preparation without a communication or training, for this reason."""
    return Call("roadmap", "PUT", f"/v1/plans/{plan_id}/buy-in/preparation-waiver", json={"reason": reason})


def open_survey_round(
    *, plan_id: Id, stage: SurveyStage, open_days: int, links: int | None = None
) -> Call[Json]:
    """The stage's anonymous buy-in survey, and one single-use link per person asked (shown once);
    without `links`, one per person on the plan's roster."""
    body: dict[str, Any] = {"stage": stage, "open_days": open_days}
    if links is not None:
        body["links"] = links
    return Call("roadmap", "POST", f"/v1/plans/{plan_id}/buy-in/surveys", json=body)


def more_survey_links(*, plan_id: Id, round_id: Id, links: int) -> Call[Json]:
    """More single-use links for an open round (shown once)."""
    path = f"/v1/plans/{plan_id}/buy-in/surveys/{round_id}/links"
    return Call("roadmap", "POST", path, json={"links": links})


def revoke_survey_round(*, plan_id: Id, round_id: Id) -> Call[Json]:
    """Close the round early: its links open nothing from now on, and its results can show."""
    return Call("roadmap", "POST", f"/v1/plans/{plan_id}/buy-in/surveys/{round_id}/revoke")


# --- the buy-in survey's public endpoints (the link's token in the body, no account) ------------


def open_survey(*, link: str) -> Call[Json]:
    """What the survey link opens: the questions, the stage, a form stamp."""
    return Call("roadmap", "POST", "/v1/public/buy-in-survey/open", json={"token": link})


def answer_survey(*, answers: dict[str, Any]) -> Call[Json]:
    """One member of staff's answers (with the link's token, the form stamp and the honeypot)."""
    return Call("roadmap", "POST", "/v1/public/buy-in-survey/answers", json=answers)


# --- the strategy interview and map, the practice report ---------------------------------------


def strategy_interview(*, clinic_id: Id) -> Call[Json]:
    """The interview's answers so far, with the areas, questions and ratings it uses."""
    return Call("roadmap", "GET", f"/v1/clinics/{clinic_id}/strategy-interview")


def answer_interview(*, clinic_id: Id, answers: list[Json]) -> Call[Json]:
    """Interview answers (area, question, rating, note); the map and the proposals follow."""
    return Call("roadmap", "PUT", f"/v1/clinics/{clinic_id}/strategy-interview", json={"answers": answers})


def strategy_map(*, clinic_id: Id) -> Call[Json]:
    """Per area a score, its evidence and candidate initiatives; and the first problem."""
    return Call("roadmap", "GET", f"/v1/clinics/{clinic_id}/strategy-map")


def practice_report(*, clinic_id: Id) -> Call[Json]:
    """roadmap's part of the practice report: the first problem and why, the plan, KPIs, money."""
    return Call("roadmap", "GET", f"/v1/clinics/{clinic_id}/practice-report")


# --- the solution catalog -----------------------------------------------------------------------


def catalog(*, category: str | None = None) -> Call[list[Json]]:
    """The officer's vetted vendors, optionally of one category."""
    return Call("roadmap", "GET", "/v1/catalog", params={"category": category} if category else None)


def catalog_entry(*, entry_id: Id) -> Call[Json]:
    """One vendor with its model card."""
    return Call("roadmap", "GET", f"/v1/catalog/{entry_id}")


def add_catalog_entry(*, entry: Json) -> Call[Json]:
    """A vendor the officer vetted (its model card)."""
    return Call("roadmap", "POST", "/v1/catalog", json=entry)


def replace_catalog_entry(*, entry_id: Id, entry: Json) -> Call[Json]:
    """The vendor as the officer checked it now (marked verified)."""
    return Call("roadmap", "PUT", f"/v1/catalog/{entry_id}", json=entry)


def remove_catalog_entry(*, entry_id: Id) -> Call[None]:
    """Take a vendor out of the catalog (not while an initiative has chosen it)."""
    return Call("roadmap", "DELETE", f"/v1/catalog/{entry_id}")


def purchase_review_draft(*, entry_id: Id) -> Call[Json]:
    """A purchase review begun from the vendor's model card (intake's review_purchase takes it)."""
    return Call("roadmap", "GET", f"/v1/catalog/{entry_id}/purchase-review")


def vendor_options(*, initiative_id: Id) -> Call[list[Json]]:
    """The catalog's vendors for an initiative, checked against the clinic's systems."""
    return Call("roadmap", "GET", f"/v1/initiatives/{initiative_id}/vendors")


def choose_vendor(*, initiative_id: Id, entry_id: str) -> Call[Json]:
    """The vendor the initiative will use; the integration check is kept with the choice."""
    return Call("roadmap", "PUT", f"/v1/initiatives/{initiative_id}/vendor", json={"entry_id": entry_id})
