"""The demo clinics' staff rosters: made-up names for the people intake counts, added through the
portal's own staff form (as an officer would), so owners and pilot groups read as names.

The portal numbers each role's pseudonyms in the order people are added (physician-1, -2, ...), the
same pseudonyms the demo's audit week, plans and partner events use: the first physician added is
the plan's owner. Running it again adds only who is missing (one roster, however often it runs).
"""

import asyncio
import random
import re
from urllib.parse import urlsplit

import httpx

from services.portal.officer.staff import role_slug
from shared.api_client import AsyncApi, Refusal, intake

FIRST_NAMES = (
    "Ana", "Marcus", "Priya", "James", "Sofia", "Daniel", "Aisha", "Michael", "Grace", "David",
    "Elena", "Kevin", "Maya", "Robert", "Leila", "Thomas", "Hannah", "Luis", "Naomi", "Samuel",
    "Fatima", "Ethan", "Rosa", "Jonah", "Mei", "Carlos", "Olivia", "Andre", "Nadia", "Peter",
    "Keisha", "Omar", "Claire", "Victor", "Tara", "Julian",
)  # fmt: skip
LAST_NAMES = (
    "Rivera", "Chen", "Patel", "Okafor", "Nguyen", "Johnson", "Kowalski", "Haddad", "Brooks",
    "Morales", "Kim", "Sullivan", "Dubois", "Bennett", "Ramirez", "Ali", "Fischer", "Yamamoto",
    "Carter", "Singh", "Lopez", "Adeyemi", "Murphy", "Rossi", "Park", "Greene", "Castillo",
    "Novak", "Hughes", "Mensah", "Ortiz", "Lindqvist",
)  # fmt: skip
_PSEUDONYM = re.compile(r'data-pseudonym="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def staff_names(clinic_name: str, headcounts: dict[str, int]) -> list[tuple[str, str, str]]:
    """(pseudonym, role, name) of everyone the clinic counts: a name each, the same on every run,
    physicians as doctors; nobody twice in one clinic."""
    rng = random.Random(f"people:{clinic_name}")  # noqa: S311 - demo names, nothing secret
    everyone = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    names = iter(rng.sample(everyone, k=sum(headcounts.values())))
    return [
        (f"{role_slug(role)}-{number}", role, f"Dr {name}" if role == "physician" else name)
        for role, count in headcounts.items()
        for number, name in zip(range(1, count + 1), names, strict=False)
    ]


class PortalForms:
    """The portal as the demo officer's browser sees it: a session from a sign-in link, then forms."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def sign_in(self, link: str) -> None:
        """Spend a one-time sign-in link (intake writes it for this portal) for a session cookie."""
        parts = urlsplit(link)
        answer = await self.client.get(f"{parts.path}?{parts.query}")
        if answer.status_code != 303:
            raise RuntimeError(f"the portal refused the demo's sign-in link: {answer.status_code}")

    async def roster_page(self, clinic_id: str, *, within: float = 90.0) -> str:
        """The clinic's staff page, once the portal has heard of the clinic (its events lag)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            answer = await self.client.get(f"/clinics/{clinic_id}/staff")
            if answer.status_code == 200:
                return answer.text
            if answer.status_code != 404 or loop.time() > deadline:
                raise RuntimeError(f"the portal's staff page of clinic {clinic_id}: {answer.status_code}")
            await asyncio.sleep(1.0)

    async def fill(self, clinic_id: str, people: list[tuple[str, str, str]]) -> int:
        """Add whoever of `people` the roster lacks, in order; how many were added."""
        page = await self.roster_page(clinic_id)
        there = set(_PSEUDONYM.findall(page))
        csrf = _CSRF.search(page)
        if csrf is None:
            raise RuntimeError(f"the portal's staff page of clinic {clinic_id} has no form")
        added = 0
        for pseudonym, role, name in people:
            if pseudonym in there:
                continue
            form = {"csrf_token": csrf.group(1), "display_name": name, "role": role}
            answer = await self.client.post(f"/clinics/{clinic_id}/staff", data=form)
            if answer.status_code != 303:
                raise RuntimeError(
                    f"the portal refused {role} {name}: {answer.status_code} {answer.text[:300]}"
                )
            added += 1
        return added


async def fill_rosters(api: AsyncApi, token: str | None, portal: PortalForms, clinic_ids: list[str]) -> int:
    """Every clinic's roster, by the head-counts intake keeps (they follow the clinic's size);
    returns how many people were added."""
    limit = asyncio.Semaphore(4)

    async def one(clinic_id: str) -> int:
        async with limit:
            try:
                profile = await api.send(intake.clinic(clinic_id=clinic_id), token=token)
            except Refusal as refusal:
                raise RuntimeError(f"intake refused clinic {clinic_id}: {refusal.status}") from refusal
            counts = {str(role["role"]): int(role["headcount"]) for role in profile.get("staff") or []}
            return await portal.fill(clinic_id, staff_names(str(profile["name"]), counts))

    return sum(await asyncio.gather(*(one(clinic_id) for clinic_id in clinic_ids)))
