"""The money line of a clinic's plan: its tool cost, payback and 12-month return, from roadmap.

Roadmap prices the plan (the tool cost entered at approval, or the chosen vendor's catalog price)
in its practice report; the clinic page shows that line under the plan, projected at the target.
What the plan measured is priced in the close-out.
"""

from typing import Any
from uuid import UUID

from fastapi import Request

from services.portal.officer import actions
from services.portal.officer.sessions import SignedIn
from shared.api_client import Refusal, roadmap


async def plan_money(request: Request, officer: SignedIn, clinic_id: UUID) -> dict[str, Any] | None:
    """The first problem's money as roadmap priced it; None when roadmap does not answer."""
    try:
        report = await actions.as_officer(request, officer, roadmap.practice_report(clinic_id=clinic_id))
    except (Refusal, ValueError):  # no answer, or not the report: the page stands without it
        return None
    first = (report.get("first") if isinstance(report, dict) else None) or {}
    money = first.get("money") or {}
    at_target = money.get("at_target") or {}
    return {
        "initiative_id": str(first.get("initiative_id", "")),
        "tool_cost_per_week": money.get("tool_cost_per_week"),
        "setup_cost": money.get("setup_cost"),
        "tool_cost_note": money.get("tool_cost_note", ""),
        "payback_weeks": at_target.get("payback_weeks"),
        "roi_12_months_pct": at_target.get("roi_12_months_pct"),
        "status": money.get("status", "projected"),
    }
