"""`make demo`: a living demo portfolio, made only through the services' public HTTP APIs and the
signed partner webhook (never by writing a database), then a sign-in link for the demo officer.

About 25 clinics at every stage of the method: just assessed, auditing, choosing an initiative,
a plan in pilot, at the gate (passed, failed, inconclusive), in rollout, in sustain and done;
partner events over the past weeks, one clinic whose AI use fades, one whose feed went quiet.
Plans began weeks ago (`pilot_started_on`), so their gates judge the weeks the feeds hold.
Each clinic's staff get names on the portal's roster, through the portal's own staff form.

`python -m deploy.demo.fill [--clinics 25]`; the service URLs come from the portal's
settings (FAIO_INTAKE_URL, ...), officer tokens are signed with FAIO_SECRET_KEY as the services'.
Every request goes through shared/api_client, as the CLI's and the portal's do.
"""

import argparse
import asyncio
import functools
import json
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from standardwebhooks.webhooks import Webhook

from deploy.demo.portfolio import (
    BASELINE_WEEKS,
    PILOT_DAYS,
    PILOT_GROUP,
    PILOT_WEEKS_AGO,
    STAGES,
    DemoClinic,
    audit_log,
    demo_events,
    headcounts,
    hourly_costs,
    portfolio,
)
from deploy.demo.roster import PortalForms, fill_rosters
from services.portal.settings import PortalSettings
from shared import clock
from shared.api_client import AsyncApi, Call, Json, Refusal, audit, intake, kpi, roadmap
from shared.api_client.calls import ready
from shared.api_client.vocabulary import Service
from shared.settings import LOCAL_DIR

DEMO_EMAIL = "dana.reyes@example.org"
DEMO_NAME = "Dana Reyes (demo)"
MARKER = LOCAL_DIR / "demo.json"
# Early phases of a few seconds (in days) so plans reach their stage while the demo runs.
BRIEF = 0.00005
T = TypeVar("T")


def service_urls(settings: PortalSettings) -> dict[Service, str]:
    """Where the services the demo fills answer: the portal's own settings."""
    return {
        "intake": settings.intake_url,
        "audit": settings.audit_url,
        "roadmap": settings.roadmap_url,
        "kpi": settings.kpi_url,
    }


def stopped(call: Call[Any], refusal: Refusal) -> RuntimeError:
    """Why the demo stops: which call was refused, with what."""
    return RuntimeError(
        f"{call.service} {call.method} {call.path}: {refusal.status} {refusal.in_full()[:300]}"
    )


class Demo:
    def __init__(self, settings: PortalSettings, api: AsyncApi) -> None:
        self.settings = settings
        self.api = api
        self.officer_id = ""
        self.token: str | None = None
        self.questionnaire: dict[str, Any] = {}
        self.partner: dict[str, Any] = {}

    async def send(self, call: Call[T]) -> T:
        """`call` as the demo officer; a refusal stops the demo, naming the call."""
        try:
            return await self.api.send(call, token=self.token)
        except Refusal as refusal:
            raise stopped(call, refusal) from refusal

    async def send_unless(self, call: Call[T], *, refused: tuple[int, ...]) -> T | None:
        """`send`, except that these refusals answer None (the platform has not caught up yet)."""
        try:
            return await self.api.send(call, token=self.token)
        except Refusal as refusal:
            if refusal.status in refused:
                return None
            raise stopped(call, refusal) from refusal

    async def sign_up(self) -> None:
        """The demo officer, created at intake (or a new token if a previous demo created it)."""
        try:
            try:
                issued = await self.api.send(intake.create_officer(name=DEMO_NAME, email=DEMO_EMAIL))
            except Refusal as refusal:
                if refusal.status != 409:
                    raise
                issued = await self.api.send(intake.officer_token(email=DEMO_EMAIL))
        except Refusal as refusal:
            said = f"{refusal.status} {refusal.in_full()[:300]}"
            raise SystemExit(f"intake refused the demo officer: {said}") from refusal
        self.officer_id = issued["officer"]["id"]
        self.token = issued["token"]

    async def existing_clinics(self) -> list[str]:
        """The demo officer's clinics from an earlier `make demo`: running it again adds none."""
        page = await self.send(intake.clinics(params={"limit": 200}))
        return [str(clinic["id"]) for clinic in page.get("items", [])]

    async def sign_in_link(self) -> str:
        """A one-time portal sign-in link for the demo officer, from intake."""
        try:
            answer = await self.api.send(intake.sign_in_link(email=DEMO_EMAIL))
        except Refusal as refusal:
            said = f"{refusal.status} {refusal.in_full()[:300]}"
            raise SystemExit(f"intake refused a sign-in link: {said}") from refusal
        return str(answer["url"])

    async def rosters(self, clinic_ids: list[str]) -> int:
        """Every clinic's staff by name, as the demo officer adds them in the portal; how many were added."""
        async with httpx.AsyncClient(base_url=self.settings.public_url, timeout=60) as client:
            portal = PortalForms(client)
            await portal.sign_in(await self.sign_in_link())
            return await fill_rosters(self.api, self.token, portal, clinic_ids)

    async def check_platform(self) -> None:
        for service, url in service_urls(self.settings).items():
            try:
                async with asyncio.timeout(5):
                    answer = await self.api.response(ready(service))
            except (Refusal, TimeoutError) as error:
                why = error.cause if isinstance(error, Refusal) else "no answer within 5 s"
                raise SystemExit(
                    f"{service} is not reachable at {url} ({why}): start the platform with `make run`"
                ) from error
            if answer.status_code != 200:
                raise SystemExit(
                    f"{service} at {url} is not ready yet ({answer.text[:200]}); try again shortly"
                )

    async def register(self, clinic: DemoClinic) -> None:
        body = {
            "name": clinic.name,
            "specialty": clinic.specialty,
            "locations": 1 + len(clinic.name) % 3,
            "staff": [
                {"role": role, "headcount": count, "hourly_cost": hourly_costs(clinic)[role]}
                for role, count in headcounts(clinic).items()
            ],
            "systems": {"emr": "athenahealth", "phone": "RingCentral", "scheduling": "athenahealth"},
            "time_zone": clinic.time_zone,
            "holidays": "US",
        }
        clinic.id = (await self.send(intake.register_clinic(clinic=body)))["id"]

    async def assess(self, clinic: DemoClinic) -> None:
        answers: dict[str, Any] = {}
        for index, question in enumerate(self.questionnaire["questions"]):
            wobble = ((index * 37 + len(clinic.name)) % 5 - 2) * 0.08
            level = min(1.0, max(0.0, clinic.maturity + wobble))
            if question["type"] == "choice":
                options = question["options"]
                answers[question["id"]] = options[round(level * (len(options) - 1))]["id"]
            else:
                answers[question["id"]] = round(level * 4)
        await self.send(intake.submit_assessment(clinic_id=clinic.id, submission={"answers": answers}))

    async def open_audit(self, clinic: DemoClinic) -> str:
        window = await until(
            lambda: self.send_unless(audit.open_audit(clinic_id=clinic.id), refused=(404,)),
            what=f"audit to know {clinic.name}",
            accept=lambda answer: answer is not None and "id" in answer,
        )
        assert window is not None
        # Logged on the clinic's own today: the audit week's days are the clinic's.
        entries = audit_log(clinic, clock.today(ZoneInfo(clinic.time_zone)).isoformat())
        await self.send(audit.add_entries(audit_id=window["id"], entries=entries))
        return str(window["id"])

    async def proposals(self, clinic: DemoClinic) -> list[dict[str, Any]]:
        body = await until(
            lambda: self.send_unless(roadmap.initiatives(clinic_id=clinic.id), refused=(404,)),
            what=f"roadmap's proposals for {clinic.name}",
            accept=lambda answer: bool(
                answer and answer.get("initiatives") and not answer.get("waiting_for")
            ),
            within=180,
        )
        assert body is not None
        initiatives: list[dict[str, Any]] = body["initiatives"]
        return initiatives

    async def run_plan(self, clinic: DemoClinic, first: dict[str, Any]) -> str:
        """Approve the clinic's first initiative as a pilot that began weeks ago; return the plan's id.

        Its baseline is the feed's four whole weeks before the pilot, so the plan joins the pilot
        where it stands, and one whose pilot is over is judged at once on the weeks the feed holds.
        """
        days: dict[str, float] = {"pilot": PILOT_DAYS}
        if clinic.stage in ("sustain", "done"):
            days["rollout"] = BRIEF
        if clinic.stage == "done":
            days["sustain"] = BRIEF
        today = clock.today(ZoneInfo(clinic.time_zone))
        began = today - timedelta(days=today.weekday(), weeks=PILOT_WEEKS_AGO[clinic.stage])
        approval = {
            "owner": PILOT_GROUP[0],  # the lead physician of the pilot group
            "target_change_pct": first.get("suggested_target_pct") or -15,
            "pilot_group": list(PILOT_GROUP),
            "phase_days": days,
            "checkin_days": 7,
            "baseline_from_history_weeks": BASELINE_WEEKS,
            "pilot_started_on": began.isoformat(),
            # A scribe priced per physician, so the plan's money runs from approval to the close-out.
            "tool_cost": {"per_user_monthly": 400, "users": 3, "setup": 1500},
        }
        approved = await self.send(roadmap.approve(initiative_id=first["id"], approval=approval))
        plan_id: str = approved["plan_id"]
        await self.staff_told_and_trained(plan_id)
        return plan_id

    async def decide_gate(self, clinic: DemoClinic, plan_id: str) -> None:
        """The officer signed off the gates of the plans that went on to rollout, sustain or done."""
        await until(
            lambda: self.send(roadmap.plan(plan_id=plan_id)),
            what=f"{clinic.name}'s plan at its gate",
            accept=lambda plan: bool((plan.get("live") or {}).get("awaiting_decision")),
            within=180,
        )
        decision = roadmap.decide(plan_id=plan_id, action="continue", note="pilot staff asked to keep it")
        await until(
            lambda: self.send_unless(decision, refused=(409, 503)),
            what=f"{clinic.name}'s gate decision",
            accept=lambda answer: answer is not None and "result" in answer,
            within=120,
        )

    async def staff_told_and_trained(self, plan_id: str) -> None:
        """Preparation's buy-in: the plan leaves preparation only once staff were told and trained."""
        await self.send(
            roadmap.record_communication(plan_id=plan_id, kind="why_we_change", audiences=["all_staff"])
        )
        await self.send(roadmap.record_training(plan_id=plan_id, status="held", attendees=list(PILOT_GROUP)))

    async def partner_events(self, clinics: list[DemoClinic]) -> int:
        """Weeks of operational facts, signed as a partner signs them; returns how many were accepted."""
        linked = [clinic for clinic in clinics if clinic.stage in PILOT_WEEKS_AGO]
        if not linked:
            return 0
        self.partner = await self.send(
            kpi.register_partner(
                name="Demo EMR and phones", kind="other", clinic_ids=[clinic.id for clinic in linked]
            )
        )
        accepted = 0
        for clinic in linked:
            events = demo_events(clinic, now=clock.now(), zone=ZoneInfo(clinic.time_zone))
            for start in range(0, len(events), 1000):
                accepted += await self.post_signed(events[start : start + 1000])
        return accepted

    async def post_signed(self, events: list[dict[str, Any]]) -> int:
        signer = Webhook(self.partner["webhook_secret"])
        batch = kpi.partner_events(events=events, api_key=self.partner["api_key"], signer=signer)
        try:
            report = await self.api.send(batch)  # the partner's key, not the officer's token
        except Refusal as refusal:
            raise RuntimeError(
                f"kpi refused the partner batch: {refusal.status} {refusal.in_full()[:300]}"
            ) from refusal
        return int(report.get("accepted", 0))

    async def counted(self, clinic: DemoClinic) -> None:
        """Wait until kpi has counted the clinic's events: judged before, its weeks would look empty."""
        if clinic.feed == "quiet":
            return
        yesterday = (clock.today(ZoneInfo(clinic.time_zone)) - timedelta(days=1)).isoformat()
        series = kpi.kpis(
            clinic_id=clinic.id, granularity="day", kpi=["documentation_minutes_per_note"], start=yesterday
        )
        await until(
            functools.partial(self.send, series),
            what=f"kpi to count {clinic.name}'s partner events",
            accept=lambda answer: any(
                point["value"] for measured in answer.get("kpis", []) for point in measured["points"]
            ),
        )

    async def judged(self, clinic: DemoClinic) -> None:
        """Have kpi send the plan's weeks and raise what they call for (the quiet feed's alert)."""
        await until(
            functools.partial(self.send, kpi.evaluate(clinic_id=clinic.id)),
            what=f"kpi to chart {clinic.name}'s weeks",
            accept=lambda answer: bool(answer is not None),
        )

    async def build(self, clinic: DemoClinic) -> list[dict[str, Any]]:
        """The clinic up to its stage before any plan: registered, assessed, audited, its initiatives."""
        stage = STAGES.index(clinic.stage)
        await self.register(clinic)
        await self.assess(clinic)
        initiatives: list[dict[str, Any]] = []
        if stage >= STAGES.index("auditing"):
            audit_id = await self.open_audit(clinic)
            if stage >= STAGES.index("roadmap"):
                # Closing is asked once: already closed (409) or busy (503), its findings still come.
                await self.send_unless(audit.close_audit(audit_id=audit_id), refused=(409, 503))
                initiatives = await self.proposals(clinic)
                await self.send(roadmap.answer_interview(clinic_id=clinic.id, answers=interview(clinic)))
                initiatives = await self.proposals(clinic)  # re-ranked by the strategy map
        return initiatives


INTERVIEW_AREAS = ("documentation", "scheduling", "communication", "billing", "retention", "operations")
QUESTIONS = ("staff_time", "patient_friction", "missed_revenue", "burnout")


def interview(clinic: DemoClinic) -> list[Json]:
    """The strategy interview as the practice might answer it: ratings only, no notes."""
    rng = random.Random(f"strategy:{clinic.name}")  # noqa: S311 - demo figures, nothing secret
    return [
        {"area": area, "question": question, "rating": rng.choice((0, 1, 1, 2, 2, 3))}
        for area in INTERVIEW_AREAS
        for question in QUESTIONS
    ]


async def until(
    step: Callable[[], Awaitable[T]], *, what: str, accept: Callable[[T], bool], within: float = 90.0
) -> T:
    """Repeat `step` until `accept` likes its answer (the platform is eventually consistent)."""
    deadline = time.monotonic() + within
    while True:
        answer = await step()
        if accept(answer):
            return answer
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what} after {within:.0f} s")
        await asyncio.sleep(1.0)


async def run(count: int, settings: PortalSettings) -> str:
    clients = {
        service: httpx.AsyncClient(base_url=url, timeout=60)
        for service, url in service_urls(settings).items()
    }
    try:
        demo = Demo(settings, AsyncApi(clients, admin_secret=settings.admin_secret))
        await demo.check_platform()
        await demo.sign_up()
        there = await demo.existing_clinics()
        if there:
            said = f"The demo portfolio is already there ({len(there)} clinics): nothing added."
            ids = there
        else:
            ids = [clinic.id for clinic in await build_portfolio(demo, count)]
            said = f"Demo portfolio built: {len(ids)} clinics."
        added = await demo.rosters(ids)
        said += f" Staff rosters: {added} people named." if added else " Staff rosters: complete."
        link = await demo.sign_in_link()
    finally:
        for client in clients.values():
            await client.aclose()
    MARKER.parent.mkdir(parents=True, exist_ok=True)
    MARKER.write_text(json.dumps({"officer_id": demo.officer_id, "clinics": ids}))
    return (
        f"{said}\nOpen the portal as the demo officer (the link works once, for 15 minutes; "
        f"`faio officer login --email {DEMO_EMAIL}` prints a new one):\n{link}"
    )


async def build_portfolio(demo: Demo, count: int) -> list[DemoClinic]:
    """`count` clinics at their stages, for the demo officer (signed up, the platform checked).

    The partner events go in before any plan is approved: a plan whose pilot began weeks ago is
    judged on the weeks the feed already holds.
    """
    demo.questionnaire = await demo.send(intake.questionnaire())
    clinics = portfolio(count)
    print(f"Building {len(clinics)} clinics as {DEMO_NAME}:", flush=True)
    limit = asyncio.Semaphore(6)
    initiatives: dict[str, list[dict[str, Any]]] = {}

    async def build(clinic: DemoClinic) -> None:
        async with limit:
            initiatives[clinic.name] = await demo.build(clinic)

    await asyncio.gather(*(build(clinic) for clinic in clinics))
    accepted = await demo.partner_events(clinics)
    print(f"Partner events accepted by kpi: {accepted}", flush=True)
    planned = [clinic for clinic in clinics if clinic.stage in PILOT_WEEKS_AGO]

    async def plan(clinic: DemoClinic) -> None:
        async with limit:
            await demo.counted(clinic)
            plan_id = await demo.run_plan(clinic, initiatives[clinic.name][0])
            await demo.judged(clinic)
            if clinic.stage in ("rollout", "sustain", "done"):
                await demo.decide_gate(clinic, plan_id)
        print(f"  {clinic.name:<36} {clinic.stage}", flush=True)

    await asyncio.gather(*(plan(clinic) for clinic in planned))
    for clinic in clinics:
        if clinic not in planned:
            print(f"  {clinic.name:<36} {clinic.stage}", flush=True)
    return clinics


def main() -> None:
    parser = argparse.ArgumentParser(description="Fill a running faio platform with a demo portfolio.")
    parser.add_argument("--clinics", type=int, default=25)
    args = parser.parse_args()
    print(asyncio.run(run(args.clinics, PortalSettings())))


if __name__ == "__main__":
    main()
