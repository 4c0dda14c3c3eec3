"""The practice roadmap report: the HTML page and the PDF hold the clinic's own figures."""

import io
import re
import uuid

from pypdf import PdfReader

from services.roadmap.initiatives.approval import approve_initiative
from services.roadmap.initiatives.models import ApprovalIn, ToolCostIn
from services.roadmap.initiatives.service import list_initiatives
from services.roadmap.plans.contracts import PlanInput
from services.roadmap.plans.models import BaselineIn
from tests.unit.portal_roadmap_support import OFFICER, PortalWithRoadmap, portal

__all__ = ["portal"]  # the fixture, used by name


async def noop_start(plan: PlanInput) -> None:
    return None


async def approve_first(portal: PortalWithRoadmap, clinic_id: uuid.UUID) -> None:
    async with portal.roadmap.sessions() as session:
        listing = await list_initiatives(session=session, clinic_id=clinic_id, officer_id=OFFICER)
        await approve_initiative(
            session=session,
            initiative_id=listing.initiatives[0].id,
            officer_id=OFFICER,
            approval=ApprovalIn(
                owner="pm-1",
                target_change_pct=-12,
                baseline=BaselineIn(source="emr_report", value=16.5, weekly_volume=310),
                tool_cost=ToolCostIn(per_user_monthly=119, users=4, setup=900),
            ),
            start_plan=noop_start,
        )
        await session.commit()


async def test_the_report_page_holds_every_section_with_the_clinics_figures(
    portal: PortalWithRoadmap,
) -> None:
    await portal.sign_in()
    clinic_id = await portal.clinic()
    answer = {"answers": [{"area": "documentation", "question": "burnout", "rating": 3}]}
    headers = portal.roadmap.auth(OFFICER)
    await portal.roadmap.http.put(f"/v1/clinics/{clinic_id}/strategy-interview", json=answer, headers=headers)
    await approve_first(portal, clinic_id)

    page = await portal.http.get(f"/clinics/{clinic_id}/report")
    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", page.text)
    for section in ("readiness", "time", "strategy", "first-problem", "plan", "kpis", "money"):
        assert f'id="{section}"' in text, section
    assert "Overall <strong>64/100</strong>" in text and 'Staff</td><td class="num">45' in text
    assert "43.5 hours</strong> and <strong>$2,378</strong>" in text  # the audit's totals
    assert "7 of 8 staff logged" in text
    assert "<strong>Documentation</strong>" in text and "owned by pm-1" in text
    assert "Strategy map: Documentation scores" in text
    assert text.count('class="heat-row"') == 9
    assert "Pilot</td>" in text and "current" in text
    assert "16.5" in text and "emr report" in text and "-12 %" in text
    assert "NEJM AI 2025" in text and "JAMA Network Open 2026" in text
    assert "$1,688 a week (22.5 h)" in text  # what documentation costs now
    assert "Return in the first 12 months" in text
    assert "Billing" in text  # next once this one is in sustain
    assert 'href="/clinics/' in text and "report.pdf" in text


async def test_the_pdf_is_a_real_pdf_holding_the_clinics_figures(portal: PortalWithRoadmap) -> None:
    await portal.sign_in()
    clinic_id = await portal.clinic(name="Harbor Family Practice")
    await approve_first(portal, clinic_id)
    answer = await portal.http.get(f"/clinics/{clinic_id}/report.pdf")
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == "application/pdf"
    assert 'filename="roadmap-harbor-family-practice-' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(answer.content))
    assert 1 <= len(reader.pages) <= 6
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    for expected in (
        "Harbor Family Practice",
        "64/100",  # overall readiness
        "43.5 hours",  # where the staff's time goes
        "$2,378",
        "Documentation",  # the first problem
        "pm-1",
        "NEJM AI 2025",  # the published evidence behind the KPI
        "-12 %",  # the target
        "Return in the first 12 months",
    ):
        assert expected in text, (expected, text[:2000])
    assert "Download PDF" not in text  # the page's toolbar is not printed
