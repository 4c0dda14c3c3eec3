"""intake's API: officers, clinics, the readiness assessment, purchase reviews, prospects and their
public form. Officer administration (`admin=True`) takes the admin secret besides loopback."""

from typing import Any

from shared.api_client.calls import Call, Id, Json, present
from shared.public_links import LINK_HEADER

# --- officers -----------------------------------------------------------------------------------


def create_officer(*, name: str, email: str) -> Call[Json]:
    """A new officer and their first token."""
    return Call("intake", "POST", "/v1/officers", json={"name": name, "email": email}, admin=True)


def officers() -> Call[list[Json]]:
    """Every officer (never their tokens)."""
    return Call("intake", "GET", "/v1/officers", admin=True)


def officer_token(*, email: str, revoke_previous: bool | None = None) -> Call[Json]:
    """A new token for an existing officer, optionally refusing every earlier one."""
    body = present(email=email, revoke_previous=revoke_previous)
    return Call("intake", "POST", "/v1/officers/tokens", json=body, admin=True)


def revoke_officer_tokens(*, email: str) -> Call[Json]:
    """Refuse every token the officer has."""
    return Call("intake", "POST", "/v1/officers/token-revocations", json={"email": email}, admin=True)


def sign_in_link(*, email: str) -> Call[Json]:
    """A one-time portal sign-in link (and its token) for the officer with this email."""
    return Call("intake", "POST", "/v1/officers/sign-in-links", json={"email": email}, admin=True)


def me() -> Call[Json]:
    """The officer the token belongs to."""
    return Call("intake", "GET", "/v1/officers/me")


def update_me(*, time_zone: str) -> Call[Json]:
    """The officer's own settings: the time zone new clinics get."""
    return Call("intake", "PATCH", "/v1/officers/me", json={"time_zone": time_zone})


# --- clinics ------------------------------------------------------------------------------------


def register_clinic(*, clinic: Json) -> Call[Json]:
    """A new clinic in the officer's portfolio (name, specialty, staff, systems, calendar)."""
    return Call("intake", "POST", "/v1/clinics", json=clinic)


def clinics(*, params: Json | None = None) -> Call[Json]:
    """A page of the officer's clinics (limit, offset, include_archived, specialty, level, q)."""
    return Call("intake", "GET", "/v1/clinics", params=params)


def clinic(*, clinic_id: Id) -> Call[Json]:
    """One clinic's profile."""
    return Call("intake", "GET", f"/v1/clinics/{clinic_id}")


def update_clinic(*, clinic_id: Id, changes: Json) -> Call[Json]:
    """Change a clinic's profile: only the fields given."""
    return Call("intake", "PATCH", f"/v1/clinics/{clinic_id}", json=changes)


def archive_clinic(*, clinic_id: Id) -> Call[Json]:
    """The clinic leaves the officer's list; its history stays."""
    return Call("intake", "POST", f"/v1/clinics/{clinic_id}/archive")


# --- the readiness assessment -------------------------------------------------------------------


def questionnaire(*, version: str | None = None) -> Call[Json]:
    """The questionnaire: the current version unless one is named."""
    return Call("intake", "GET", "/v1/assessment/questionnaire", params=present(version=version) or None)


def submit_assessment(*, clinic_id: Id, submission: Json) -> Call[Json]:
    """Score a completed questionnaire (`answers`, optionally its `questionnaire_version`)."""
    return Call("intake", "POST", f"/v1/clinics/{clinic_id}/assessments", json=submission)


def assessments(*, clinic_id: Id) -> Call[list[Json]]:
    """Every assessment of a clinic, oldest first."""
    return Call("intake", "GET", f"/v1/clinics/{clinic_id}/assessments")


def assessment_draft(*, clinic_id: Id) -> Call[Json]:
    """The full assessment begun with the answers of the prospect form the clinic came from."""
    return Call("intake", "GET", f"/v1/clinics/{clinic_id}/assessment-draft")


def review_purchase(*, clinic_id: Id, review: Json) -> Call[Json]:
    """The five questions before buying an AI tool, answered for this clinic."""
    return Call("intake", "POST", f"/v1/clinics/{clinic_id}/purchase-reviews", json=review)


# --- prospects ----------------------------------------------------------------------------------


def create_invite(*, label: str, expires_in_days: int) -> Call[Json]:
    """A link a prospect practice opens without an account (its URL is shown once)."""
    body = {"label": label, "expires_in_days": expires_in_days}
    return Call("intake", "POST", "/v1/prospect-invites", json=body)


def invites() -> Call[list[Json]]:
    """The officer's invite links, newest first."""
    return Call("intake", "GET", "/v1/prospect-invites")


def revoke_invite(*, invite_id: Id) -> Call[Json]:
    """The invite link opens nothing from now on (its leads stay)."""
    return Call("intake", "POST", f"/v1/prospect-invites/{invite_id}/revoke")


def leads(*, include_converted: bool | None = None) -> Call[list[Json]]:
    """Prospects that answered the short assessment, newest first."""
    params = present(include_converted=include_converted) or None
    return Call("intake", "GET", "/v1/prospects", params=params)


def convert_lead(*, lead_id: Id, clinic: Json) -> Call[Json]:
    """The lead becomes a clinic (name, specialty, locations); its answers begin the assessment."""
    return Call("intake", "POST", f"/v1/prospects/{lead_id}/convert", json=clinic)


# --- the prospect's public form (the link's token in LINK_HEADER, no account) ------------------


def prospect_form(*, link: str) -> Call[Json]:
    """What the prospect's link opens: the short questionnaire and a form stamp."""
    return Call("intake", "GET", "/v1/public/prospect-form", headers={LINK_HEADER: link})


def send_prospect_form(*, link: str, form: dict[str, Any]) -> Call[Json]:
    """The prospect's answers (and contact, with consent), scored."""
    return Call("intake", "POST", "/v1/public/prospect-form", json=form, headers={LINK_HEADER: link})
