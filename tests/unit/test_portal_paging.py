"""The portfolio a page of clinics at a time: the sort holds across pages, each page's sparklines are
read for its own rows, and the counts and totals are the whole portfolio's on every page (the same
count Today shows); the CSV still holds every clinic."""

import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.portal.read_model import projection
from services.portal.read_model.models import PortalClinic, PortalInitiative, PortalPlan
from services.portal.routes.portfolio import PAGE_ROWS
from shared.events.kpi import KpiSnapshot
from tests.unit import test_portal_pages
from tests.unit.test_portal_pages import Portal

portal = test_portal_pages.portal  # the fixture: the app in process, stand-in services

OFFICER = "officer-paging"
CLINICS = PAGE_ROWS * 2 + 20  # three pages
AT_GATE = (5, 63, 101, 118)  # clinics whose gate decision is due, spread over the pages by name


def names_on(page: str) -> list[str]:
    return re.findall(r'class="clinic-name" href="/clinics/[^"]+">([^<]+)<', page)


async def test_pages_follow_the_sort_and_every_page_counts_the_whole_portfolio(portal: Portal) -> None:
    now = datetime.now(UTC)
    measured = uuid4()
    async with portal.sessions() as session:
        for index in range(CLINICS):
            clinic_id = measured if index == 70 else uuid4()
            session.add(
                PortalClinic(id=clinic_id, officer_id=OFFICER, name=f"Clinic {index:03d}", specialty="x")
            )
            if index in AT_GATE or index == 70:
                initiative = uuid4()
                session.add(
                    PortalInitiative(
                        id=initiative,
                        clinic_id=clinic_id,
                        problem="documentation",
                        kpi="missed_call_rate",
                        status="approved",
                        hours_per_week=10.0,
                        cost_per_week=300.0,
                        target_change_pct=-20.0,
                    )
                )
                session.add(
                    PortalPlan(
                        id=f"plan-{clinic_id}",
                        clinic_id=clinic_id,
                        initiative_id=initiative,
                        phase="evaluation" if index in AT_GATE else "pilot",
                        phase_since=now - timedelta(days=1),
                        started_at=now - timedelta(days=60),
                    )
                )
        await projection.record_snapshots(
            session=session,
            events=[
                KpiSnapshot(clinic_id=measured, kpi="missed_call_rate", week=week, value=0.3, sample_size=80)
                for week in ("2026-W45", "2026-W46", "2026-W47")
            ],
            received_at=now,
        )
        await session.commit()
    await portal.sign_in(OFFICER)

    first = (await portal.http.get("/portfolio")).text
    second = (await portal.http.get("/portfolio?sort=name&order=asc&page=2")).text
    third = (await portal.http.get("/portfolio?sort=name&order=asc&page=3")).text
    # Most in need first, then by name; sorted by name, page 2 goes on where page 1 stops.
    assert names_on(first)[: len(AT_GATE)] == [f"Clinic {index:03d}" for index in AT_GATE]
    assert len(names_on(first)) == PAGE_ROWS
    assert names_on(second) == [f"Clinic {index:03d}" for index in range(PAGE_ROWS, 2 * PAGE_ROWS)]
    assert names_on(third) == [f"Clinic {index:03d}" for index in range(2 * PAGE_ROWS, CLINICS)]
    # The page links keep the sort; the last page has no next.
    assert 'id="page-next" rel="next" href="/portfolio?sort=name&amp;order=asc&amp;page=3"' in second
    assert 'id="page-prev" rel="prev" href="/portfolio?sort=name&amp;order=asc&amp;page=1"' in second
    assert 'id="page-next"' not in third and f"of {CLINICS} · page 3 of 3" in third
    # The sparkline of a clinic on page 2 is read with its page.
    row_70 = second.split(f'data-clinic="{measured}"')[1].split("</tr>")[0]
    assert 'class="spark"' in row_70 and 'data-points="3"' in row_70
    # Every page counts the whole portfolio: the clinics needing you, Today's items and the totals
    # (five plans at -20 % of 10 h a week: 10 h projected).
    today = (await portal.http.get("/today")).text
    assert f"{len(AT_GATE)} items need you" in today
    for page in (first, second, third):
        assert f'id="needing">{len(AT_GATE)}<' in page and f'class="n">{len(AT_GATE)}<' in page
        assert f"{CLINICS} clinics" in page and "10.0 h" in page and "5 plans at their targets" in page
    # Past the end is the last page; a page that cannot be is refused, naming the field.
    assert names_on((await portal.http.get("/portfolio?sort=name&page=99")).text) == names_on(third)
    refused = await portal.http.get("/portfolio?page=0")
    assert refused.status_code == 422 and "page: Input should be greater than or equal to 1" in refused.text
    # The CSV is every clinic, in the sort asked for.
    exported = (await portal.http.get("/portfolio.csv?sort=name&order=desc")).text.splitlines()
    assert len(exported) == CLINICS + 1 and exported[1].startswith(f"Clinic {CLINICS - 1:03d},")
