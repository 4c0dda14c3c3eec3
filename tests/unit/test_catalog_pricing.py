"""Choosing a vendor prices the plan from the catalog: per provider, location, minute or encounter,
with the clinic's own volumes; the practice report then shows a tool cost, payback and ROI."""

import re
import uuid
from pathlib import Path

import pytest

from services.roadmap.catalog.prices import Volumes, catalog_tool_cost, provider_headcount
from services.roadmap.initiatives.approval import approve_initiative
from services.roadmap.initiatives.models import ApprovalIn
from services.roadmap.initiatives.pricing import WEEKS_PER_MONTH
from services.roadmap.plans.models import BaselineIn
from shared.events.intake import StaffRole
from tests.unit.portal_roadmap_support import OFFICER as OFFICER_OF_PORTAL
from tests.unit.portal_roadmap_support import PortalWithRoadmap, no_workflow, portal
from tests.unit.roadmap_support import roadmap_app

OFFICER = "officer-catalog-pricing"
__all__ = ["portal"]  # the fixture, used by name
STAFF = [
    StaffRole(role="physician", headcount=3, hourly_cost=150),
    StaffRole(role="nurse practitioner", headcount=1, hourly_cost=90),
    StaffRole(role="front_desk", headcount=4, hourly_cost=25),
]


def test_each_price_model_multiplies_by_the_clinics_own_volume() -> None:
    volumes = Volumes(providers=4, locations=2, problem_hours_per_week=10, weekly_volume=120)

    def monthly(model: str, price: float) -> float | None:
        cost = catalog_tool_cost(vendor="V", price_model=model, price_usd=price, volumes=volumes).tool_cost
        return None if cost is None else round(cost.per_month(), 2)

    assert monthly("per_provider_month", 119) == 476
    assert monthly("per_location_month", 399) == 798
    assert monthly("per_minute", 0.5) == round(0.5 * round(10 * 60 * WEEKS_PER_MONTH), 2)
    assert monthly("per_encounter", 1.5) == round(1.5 * round(120 * WEEKS_PER_MONTH), 2)
    assert monthly("flat_month", 99) == 99
    assert monthly("quote", 10) is None
    unknown = catalog_tool_cost(vendor="V", price_model="per_encounter", price_usd=1.5, volumes=Volumes())
    assert unknown.tool_cost is None and "weekly volume" in unknown.note
    assert provider_headcount([(role.role, role.headcount) for role in STAFF]) == 4


async def test_choosing_a_vendor_puts_a_tool_cost_and_roi_on_the_report(tmp_path: Path) -> None:
    async with roadmap_app(tmp_path) as roadmap:
        headers = roadmap.auth(OFFICER)
        clinic_id = await roadmap.clinic(OFFICER, hours={"documentation": (20, 1_500)}, staff=STAFF)
        report_path = f"/v1/clinics/{clinic_id}/practice-report"
        before = (await roadmap.http.get(report_path, headers=headers)).json()["first"]
        assert before["money"]["tool_cost_per_week"] is None  # "not priced yet"
        assert before["money"]["at_target"]["roi_12_months_pct"] is None

        catalog = (await roadmap.http.get("/v1/catalog", headers=headers)).json()
        scribes = [
            e for e in catalog if e["category"] == "ai_scribe" and e["price_model"] == "per_provider_month"
        ]
        scribe = min(scribes, key=lambda entry: entry["price_usd"])  # one that pays back at this clinic
        chosen = await roadmap.http.put(
            f"/v1/initiatives/{before['initiative_id']}/vendor",
            json={"entry_id": scribe["id"]},
            headers=headers,
        )
        assert chosen.status_code == 200, chosen.text

        after = (await roadmap.http.get(report_path, headers=headers)).json()["first"]
        money = after["money"]
        assert money["tool_cost_per_week"] == pytest.approx(
            scribe["price_usd"] * 4 / WEEKS_PER_MONTH, abs=0.01
        )
        assert money["at_target"]["roi_12_months_pct"] is not None
        assert "x 4 (the clinic's providers)" in money["tool_cost_note"]

        async with roadmap.sessions() as session:
            approval = ApprovalIn(
                owner="pm-1",
                target_change_pct=-12,
                baseline=BaselineIn(source="emr_report", value=16.0, weekly_volume=300),
            )
            await approve_initiative(
                session=session,
                initiative_id=uuid.UUID(before["initiative_id"]),
                officer_id=OFFICER,
                approval=approval,
                start_plan=no_workflow,
                pseudonym_secret="test-pseudonyms",
            )
        approved = (await roadmap.http.get(report_path, headers=headers)).json()["first"]
        assert approved["status"] == "approved"
        # No tool cost entered at approval: the chosen vendor's catalog price is the plan's.
        assert approved["money"]["tool_cost_per_week"] == money["tool_cost_per_week"]
        assert approved["money"]["at_target"]["payback_weeks"] is not None
        assert approved["money"]["at_target"]["roi_12_months_pct"] is not None


async def test_the_portal_report_shows_the_catalog_tool_cost_and_roi(portal: PortalWithRoadmap) -> None:
    await portal.sign_in()
    clinic_id = await portal.clinic()
    headers = portal.roadmap.auth(OFFICER_OF_PORTAL)
    page = re.sub(r"\s+", " ", (await portal.http.get(f"/clinics/{clinic_id}/report")).text)
    assert "not priced yet" in page

    entry = {
        "category": "ai_scribe",
        "vendor": "Quillo",
        "product": "Scribe",
        "integrations": {"emr": ["athenahealth"]},
        "baa_available": True,
        "price_model": "per_location_month",
        "price_usd": 300,
    }
    added = await portal.roadmap.http.post("/v1/catalog", json=entry, headers=headers)
    assert added.status_code == 201, added.text
    first = (
        await portal.roadmap.http.get(f"/v1/clinics/{clinic_id}/practice-report", headers=headers)
    ).json()
    chosen = await portal.roadmap.http.put(
        f"/v1/initiatives/{first['first']['initiative_id']}/vendor",
        json={"entry_id": added.json()["id"]},
        headers=headers,
    )
    assert chosen.status_code == 200, chosen.text

    page = re.sub(r"\s+", " ", (await portal.http.get(f"/clinics/{clinic_id}/report")).text)
    assert "not priced yet" not in page
    assert "$69.23 a week, $0 set-up" in page  # $300 a month for the one location: 300 / (52 / 12)
    assert "Return in the first 12 months" in page and "Payback</td>" in page
    assert "$300.00 a location a month x 1" in page

    # Approved without a tool cost: the plan keeps the catalog price, and its money shows under the plan.
    initiative_id = uuid.UUID(first["first"]["initiative_id"])
    approval = ApprovalIn(
        owner="pm-1",
        target_change_pct=-12,
        baseline=BaselineIn(source="emr_report", value=16.0, weekly_volume=300),
    )
    await portal.approved_plan(clinic_id, initiative_id, approval)
    clinic_page = re.sub(r"\s+", " ", (await portal.http.get(f"/clinics/{clinic_id}")).text)
    line = clinic_page[clinic_page.index('class="plan-money"') :][:600]
    assert "tool cost $69.23 a week" in line, line
    assert "% return in the first 12 months" in line and "pays back in about" in line, line
