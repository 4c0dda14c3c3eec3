"""The practice roadmap report: the HTML page and the PDF hold the clinic's own figures."""

import io
import re
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from pypdf import PdfReader

from services.portal.routes import report
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
            pseudonym_secret="test-pseudonyms",
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
    assert "NEJM AI 2025" in text and "JAMA Netw Open 2026" in text
    assert "pragmatic randomized trial" in text and "pre-post study" in text  # each study says what it is
    assert "Capacity freed (not cash)" in text and "At the published effect" in text
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


def test_the_pdf_reads_the_portals_own_stylesheet_and_nothing_else(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the secret")
    fetched: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red; }")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Thread(target=server.serve_forever, daemon=True).start()
    elsewhere = f"http://127.0.0.1:{server.server_address[1]}"
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="/static/report.css">
      <link rel="stylesheet" href="{elsewhere}/x.css">
      <link rel="attachment" href="{secret.as_uri()}">
      <link rel="attachment" href="file:///etc/passwd">
      </head><body><h1>Harbor</h1>
      <img src="file:///etc/passwd"><img src="http://example.org/x"><img src="{elsewhere}/x.png">
      <img src="/static/../../../../etc/passwd"><img src="/static/%2e%2e/%2e%2e/routes/report.py">
      <a rel="attachment" href="{secret.as_uri()}">notes</a></body></html>"""
    try:
        document = report.print_pdf(html)
    finally:
        server.shutdown()
    reader = PdfReader(io.BytesIO(document))
    assert fetched == []  # no request left the machine, not even to a local address
    assert reader.attachments == {}  # no file of the machine's rides along
    assert b"the secret" not in document and b"root:x:0:0" not in document
    assert "page 1 of 1" in reader.pages[0].extract_text()  # report.css's page footer: it was read


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/x",
        "https://portal.invalid/static/../../../etc/passwd",
        "https://portal.invalid/clinics/1/report",
        "https://portal.invalid.example.org/static/report.css",
    ],
)
def test_the_pdf_fetcher_refuses_anything_but_a_static_file(url: str) -> None:
    with pytest.raises(ValueError, match="only the portal's own static files"):
        report.StaticFilesOnly().fetch(url)
