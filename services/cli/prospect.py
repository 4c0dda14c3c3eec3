"""`faio prospect ...`: invite prospect practices to the 5-minute assessment, see leads, convert one."""

import json
from typing import Annotated, Any

import typer

from services.cli.client import JsonOption, TokenOption, call
from services.cli.clinic import NOT_YOURS, ClinicId
from services.cli.render import console, copyable, emit, hint, table, when
from shared.api_client import intake

prospect_app = typer.Typer(
    help="Prospects: invite links to the 5-minute readiness assessment, leads, conversion.",
    no_args_is_help=True,
)

NOT_YOUR_LEAD = "`faio prospect list` shows your leads"
NOT_YOUR_INVITE = "`faio prospect invites` lists your invite links"
LeadId = Annotated[str, typer.Argument(help="The lead id (from `faio prospect list`).", show_default=False)]


@prospect_app.command("invite")
def invite(
    token: TokenOption = "",
    label: Annotated[str, typer.Option(help="Your reminder of whom it is for (only you see it).")] = "",
    days: Annotated[int, typer.Option(min=1, max=90, help="Days until the link expires.")] = 14,
    as_json: JsonOption = False,
) -> None:
    """Make a link a prospect practice opens without an account (shown once)."""
    made = call(intake.create_invite(label=label, expires_in_days=days), token=token)
    if as_json:
        emit(made, as_json=True, human=lambda: None)
        return
    console.print(f"Invite link, valid until {when(made['expires_at'])} UTC:")
    copyable("link", made["url"])
    copyable("invite id", made["id"])
    hint(f"send the link; revoke it any time with `faio prospect revoke {made['id']}`")


@prospect_app.command("invites")
def invites(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Your invite links, newest first, with how many leads each brought."""
    found = call(intake.invites(), token=token)
    rows = [
        (
            item["id"],
            item["label"],
            when(item["expires_at"]),
            "revoked" if item["revoked_at"] else "live",
            item["leads"],
        )
        for item in found
    ]
    columns = ("id", "label", "expires", "state", "leads")
    emit(found, as_json=as_json, human=lambda: console.print(table(f"{len(found)} invite(s)", columns, rows)))


@prospect_app.command("revoke")
def revoke(
    invite_id: Annotated[str, typer.Argument(help="The invite id.", show_default=False)],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Refuse an invite link from now on (its leads stay)."""
    done = call(intake.revoke_invite(invite_id=invite_id), token=token, not_found_hint=NOT_YOUR_INVITE)
    emit(
        done,
        as_json=as_json,
        human=lambda: console.print(f"Invite {invite_id} revoked: its link no longer opens."),
    )


def _contact(lead: dict[str, Any]) -> str:
    if not lead["consent"]:
        return "(no consent)"
    return ", ".join(part for part in (lead["contact_name"], lead["email"], lead["phone"]) if part) or "-"


@prospect_app.command("list")
def list_leads(
    token: TokenOption = "",
    include_converted: Annotated[
        bool, typer.Option("--all", help="Also leads already made clinics.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Your leads: prospects that answered the short assessment, newest first."""
    leads = call(intake.leads(include_converted=include_converted), token=token)
    rows = [
        (
            lead["id"],
            when(lead["submitted_at"]),
            lead["practice_name"] or "(not given)",
            f"{lead['overall_score']:.0f}",
            lead["level"],
            _contact(lead),
            lead["clinic_id"] or "",
        )
        for lead in leads
    ]
    columns = ("id", "answered", "practice", "score", "level", "contact", "clinic")
    emit(leads, as_json=as_json, human=lambda: console.print(table(f"{len(leads)} lead(s)", columns, rows)))
    if leads and not as_json:
        hint("`faio prospect convert <id>` makes a lead a clinic")


@prospect_app.command("convert")
def convert(
    lead_id: LeadId,
    *,
    token: TokenOption = "",
    name: Annotated[
        str, typer.Option(help="The clinic's name (default: the practice name the lead gave).")
    ] = "",
    specialty: Annotated[str, typer.Option(help="The clinic's specialty.")] = "general practice",
    locations: Annotated[int, typer.Option(min=1, max=500)] = 1,
    as_json: JsonOption = False,
) -> None:
    """Make a lead a clinic in one action; its answers begin the full assessment."""
    body = {"name": name, "specialty": specialty, "locations": locations}
    clinic = call(
        intake.convert_lead(lead_id=lead_id, clinic=body), token=token, not_found_hint=NOT_YOUR_LEAD
    )
    if as_json:
        emit(clinic, as_json=True, human=lambda: None)
        return
    console.print(f"Lead {lead_id} is now clinic {clinic['name']}.")
    copyable("clinic id", clinic["id"])
    hint(f"`faio prospect draft {clinic['id']} > answers.yaml`, fill it in, then `faio assessment submit`")


@prospect_app.command("draft")
def draft(clinic_id: ClinicId, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The clinic's full assessment as an answer file, begun with its prospect form's answers."""
    found = call(intake.assessment_draft(clinic_id=clinic_id), token=token, not_found_hint=NOT_YOURS)
    if as_json:
        emit(found, as_json=True, human=lambda: None)
        return
    questionnaire = call(intake.questionnaire(version=found["questionnaire_version"]), token=token)
    print(f"questionnaire_version: {json.dumps(found['questionnaire_version'])}\nanswers:")
    for question in questionnaire["questions"]:
        answer = found["answers"].get(question["id"])
        accepted = "0-4" if question["type"] == "scale" else " | ".join(o["id"] for o in question["options"])
        origin = "from the prospect form" if answer is not None else "still to answer"
        print(f"  # {question['text']}\n  # {accepted} ({origin})")
        print(f"  {question['id']}: {'' if answer is None else json.dumps(answer)}")
