"""The portal's strategy map and catalog pages, against a real roadmap app in process."""

import re
import uuid

import httpx

from services.portal.read_model.models import PortalInitiative
from tests.unit.portal_roadmap_support import OFFICER, PortalWithRoadmap, portal

__all__ = ["portal"]  # the fixture, used by name


async def test_the_strategy_page_draws_the_heat_map_and_saves_the_interview(
    portal: PortalWithRoadmap,
) -> None:
    csrf = await portal.sign_in()
    clinic_id = await portal.clinic()
    page = await portal.http.get(f"/clinics/{clinic_id}/strategy")
    assert page.status_code == 200, page.text
    assert page.text.count('class="heat-row"') == 9
    assert page.text.count('name="rating:') == 36
    assert "Waiting for interview" in page.text

    form = {
        "csrf_token": csrf,
        "rating:documentation:staff_time": "3",
        "note:documentation:staff_time": "notes finished at home",
        "rating:documentation:burnout": "3",
        "rating:billing:missed_revenue": "1",
        "rating:billing:staff_time": "",  # not asked: not sent
    }
    saved = await portal.http.post(f"/clinics/{clinic_id}/strategy", data=form)
    assert saved.status_code == 303, saved.text
    page = await portal.http.get(f"/clinics/{clinic_id}/strategy")
    assert "3 answers saved" in page.text
    assert re.search(
        r'data-area="documentation">\s*<text[^>]*font-weight="bold"', page.text
    )  # the first problem
    assert "First problem:</strong> Documentation scores" in page.text
    assert 'value="notes finished at home"' in page.text  # the note comes back to its officer only
    assert page.text.count('data-level="4"') >= 2  # two "high" ratings drawn at the top of the ramp


async def test_a_bad_rating_shows_roadmaps_reason_and_nothing_is_saved(portal: PortalWithRoadmap) -> None:
    csrf = await portal.sign_in()
    clinic_id = await portal.clinic()
    refused = await portal.http.post(
        f"/clinics/{clinic_id}/strategy", data={"csrf_token": csrf, "rating:documentation:staff_time": "7"}
    )
    assert refused.status_code == 422
    assert "Roadmap did not take the answers" in refused.text and "rating" in refused.text
    nothing = await portal.http.post(f"/clinics/{clinic_id}/strategy", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "Rate at least one area" in nothing.text
    forged = await portal.http.post(
        f"/clinics/{clinic_id}/strategy", data={"csrf_token": "forged", "rating:billing:burnout": "1"}
    )
    assert forged.status_code == 403


async def test_another_officers_clinic_has_no_strategy_page(portal: PortalWithRoadmap) -> None:
    await portal.sign_in("officer-someone-else")
    clinic_id = await portal.clinic()
    assert (await portal.http.get(f"/clinics/{clinic_id}/strategy")).status_code == 404
    assert (await portal.http.get(f"/clinics/{clinic_id}/report")).status_code == 404
    assert (await portal.http.get(f"/clinics/{clinic_id}/report.pdf")).status_code == 404


async def test_the_catalog_page_lists_adds_edits_and_removes_vendors(portal: PortalWithRoadmap) -> None:
    csrf = await portal.sign_in()
    page = await portal.http.get("/catalog")
    assert page.status_code == 200
    assert page.text.count('class="card catalog-category"') == 8
    assert 'data-vendor="Nabla"' in page.text and "default: verify" in page.text

    form = {
        "csrf_token": csrf,
        "category": "coding",
        "vendor": "CodaMetrix",
        "product": "autonomous coding",
        "integrates_emr": "Epic, athenahealth",
        "baa_available": "on",
        "price_model": "per_encounter",
        "price_usd": "2",
        "evidence": "vendor case studies only",
    }
    added = await portal.http.post("/catalog", data=form)
    assert added.status_code == 303, added.text
    page = await portal.http.get("/catalog")
    assert "CodaMetrix saved (Coding)" in page.text and 'data-vendor="CodaMetrix"' in page.text
    entry_id = re.search(
        r'href="/catalog\?edit=([0-9a-f-]+)"[^<]*</a>\s*<form method="post" action="/catalog/\1/remove">',
        page.text,
    )
    assert entry_id
    entries = (
        await portal.roadmap.http.get(
            "/v1/catalog?category=coding", headers=portal.roadmap.auth("officer-portal-strategy")
        )
    ).json()
    coda = next(e for e in entries if e["vendor"] == "CodaMetrix")
    assert (
        coda["integrations"] == {"emr": ["Epic", "athenahealth"]}
        and coda["baa_available"]
        and coda["price_usd"] == 2
    )

    edit = await portal.http.get(f"/catalog?edit={coda['id']}")
    assert 'value="Epic, athenahealth"' in edit.text and f'name="entry_id" value="{coda["id"]}"' in edit.text
    changed = await portal.http.post("/catalog", data=form | {"entry_id": coda["id"], "price_usd": "3"})
    assert changed.status_code == 303

    bad = await portal.http.post("/catalog", data=form | {"vendor": " ", "price_usd": "-1"})
    assert bad.status_code == 422
    assert 'class="field invalid"' in bad.text and "vendor" in bad.text

    removed = await portal.http.post(f"/catalog/{coda['id']}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert 'data-vendor="CodaMetrix"' not in (await portal.http.get("/catalog")).text


async def test_pages_say_when_roadmap_does_not_answer(portal: PortalWithRoadmap) -> None:
    await portal.sign_in()
    clinic_id = await portal.clinic()

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    portal.app.state.service_http = {
        "roadmap": httpx.AsyncClient(transport=httpx.MockTransport(down), base_url="http://roadmap")
    }
    page = await portal.http.get(f"/clinics/{clinic_id}/strategy")
    assert page.status_code == 502 and "did not answer" in page.text
    catalog = await portal.http.get("/catalog")
    assert catalog.status_code == 502 and "The catalog is not available" in catalog.text
    report = await portal.http.get(f"/clinics/{clinic_id}/report")
    assert (
        report.status_code == 200
        and "Not complete" in report.text
        and "Harbor Family Practice" in report.text
    )
    pdf = await portal.http.get(f"/clinics/{clinic_id}/report.pdf")
    assert pdf.status_code == 502 and "No PDF" in pdf.text


async def test_the_first_problems_vendor_is_chosen_from_the_catalog(portal: PortalWithRoadmap) -> None:
    csrf = await portal.sign_in()
    clinic_id = await portal.clinic()
    headers = portal.roadmap.auth(OFFICER)
    listing = (await portal.roadmap.http.get(f"/v1/clinics/{clinic_id}/initiatives", headers=headers)).json()
    first = listing["initiatives"][0]
    async with portal.sessions() as session:  # the portal learns initiatives from roadmap's events
        session.add(
            PortalInitiative(id=uuid.UUID(first["id"]), clinic_id=clinic_id, problem=first["problem"])
        )
        await session.commit()

    page = await portal.http.get(f"/clinics/{clinic_id}/strategy")
    section = page.text[page.text.index('id="first-vendors"') :]
    assert first["problem"] == "documentation" and 'data-vendor="Nabla"' in section
    assert "supports the clinic&#39;s emr (athenahealth)" in section
    nabla = next(
        option["entry"]["id"]
        for option in (
            await portal.roadmap.http.get(f"/v1/initiatives/{first['id']}/vendors", headers=headers)
        ).json()
        if option["entry"]["vendor"] == "Nabla"
    )
    chosen = await portal.http.post(
        f"/initiatives/{first['id']}/vendor", data={"csrf_token": csrf, "entry_id": nabla}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == f"/clinics/{clinic_id}/strategy"
    page = await portal.http.get(f"/clinics/{clinic_id}/strategy")
    assert "Nabla chosen" in page.text and "chosen</span>" in page.text
    report = await portal.http.get(f"/clinics/{clinic_id}/report")
    assert "(Nabla Nabla ambient scribe)" in report.text

    refused = await portal.http.post(
        f"/initiatives/{first['id']}/vendor", data={"csrf_token": csrf, "entry_id": "not-an-id"}
    )
    assert refused.status_code == 303
    assert "Not chosen" in (await portal.http.get(f"/clinics/{clinic_id}/strategy")).text
    other_csrf = await portal.sign_in("officer-someone-else")
    other = await portal.http.post(
        f"/initiatives/{first['id']}/vendor", data={"csrf_token": other_csrf, "entry_id": nabla}
    )
    assert other.status_code == 404
