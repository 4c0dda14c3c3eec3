"""The demo's staff rosters: a name for everyone intake counts, added through the portal's own staff
form in the order that gives the pseudonyms the demo's plans and events use; run twice, one roster."""

from uuid import uuid4

import httpx
from sqlmodel import select

from deploy.demo.portfolio import PILOT_GROUP, headcounts, portfolio, roster
from deploy.demo.roster import PortalForms, fill_rosters, staff_names
from services.portal.officer.staff import PortalStaff
from services.portal.read_model.models import PortalClinic
from shared.api_client import AsyncApi
from shared.auth import issue_sign_in_token
from tests.unit import test_portal_pages
from tests.unit.test_portal_pages import Portal

portal = test_portal_pages.portal  # the fixture: the app in process, stand-in services

OFFICER = "officer-demo-roster"


def test_every_demo_clinic_gets_a_plausible_name_for_each_pseudonym_it_uses() -> None:
    for clinic in portfolio(25):
        people = staff_names(clinic.name, headcounts(clinic))
        # The pseudonyms the demo's audit week, plans and partner events use, in the same order.
        assert [(pseudonym, role) for pseudonym, role, _ in people] == roster(clinic)
        names = [name for _, _, name in people]
        assert len(set(names)) == len(names)  # nobody twice in one clinic
        assert all(name.startswith("Dr ") == (role == "physician") for _, role, name in people)
        assert staff_names(clinic.name, headcounts(clinic)) == people  # the same on every run
        assert set(PILOT_GROUP) <= {pseudonym for pseudonym, _, _ in people}
    small, large = (next(c for c in portfolio(25) if c.size == size) for size in (0, 2))
    assert len(staff_names(large.name, headcounts(large))) > len(staff_names(small.name, headcounts(small)))


async def test_the_demo_fills_each_roster_through_the_portals_form_once(portal: Portal) -> None:
    clinic = portfolio(25)[6]
    counts = headcounts(clinic)
    clinic_id = uuid4()
    async with portal.sessions() as session:
        session.add(PortalClinic(id=clinic_id, officer_id=OFFICER, name=clinic.name, specialty="ortho"))
        await session.commit()
    staff = [{"role": role, "headcount": count, "hourly_cost": 30.0} for role, count in counts.items()]
    portal.intake.body = {"id": str(clinic_id), "name": clinic.name, "staff": staff}
    intake_client = httpx.AsyncClient(
        transport=httpx.MockTransport(portal.intake.handle), base_url="http://intake"
    )
    api = AsyncApi({"intake": intake_client})
    token, _ = issue_sign_in_token(portal.settings, officer_id=OFFICER, name="Dana Reyes (demo)")
    forms = PortalForms(portal.http)
    await forms.sign_in(f"http://portal.test/sign-in?token={token}")

    added = await fill_rosters(api, "officer-token", forms, [str(clinic_id)])
    assert added == sum(counts.values())
    again = await fill_rosters(api, "officer-token", forms, [str(clinic_id)])
    assert again == 0  # run twice, one roster

    async with portal.sessions() as session:
        people = (await session.exec(select(PortalStaff).where(PortalStaff.clinic_id == clinic_id))).all()
    named = {person.pseudonym: person.display_name for person in people}
    assert len(people) == sum(counts.values()) == len(named)
    assert named == {pseudonym: name for pseudonym, _, name in staff_names(clinic.name, counts)}
    assert named["physician-1"].startswith("Dr ")  # the plans' owner, as the pages will name them
    # No head-count was changed at intake: the roster fits the clinic's size.
    assert not [request for request in portal.intake.requests if request.method != "GET"]
    await intake_client.aclose()
