"""`make demo`: a living demo portfolio, made only through the services' public HTTP APIs and the
signed partner webhook (never by writing a database), then a sign-in link for the demo officer.

About 25 clinics at every stage of the method: just assessed, auditing, choosing an initiative,
a plan in pilot, at the gate, in rollout and in sustain; partner events over the past weeks,
one clinic whose AI use fades, one whose feed went quiet. Plans run on the real workflow with
short early phases, so they reach their stage within a minute or two.

`python -m deploy.demo.fill [--clinics 25]`; the service URLs come from the portal's
settings (FAIO_INTAKE_URL, ...), officer tokens are signed with FAIO_SECRET_KEY as the services'.
"""

import argparse
import asyncio
import functools
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from typing import Any, TypeVar

import httpx
from standardwebhooks.webhooks import Webhook

from deploy.demo.portfolio import (
    AUDIT_LOG,
    STAGES,
    DemoClinic,
    demo_events,
    portfolio,
)
from services.portal.settings import PortalSettings
from shared import clock
from shared.auth import ADMIN_HEADER
from shared.settings import LOCAL_DIR

DEMO_EMAIL = "dana.reyes@example.org"
DEMO_NAME = "Dana Reyes (demo)"
MARKER = LOCAL_DIR / "demo.json"
# Early phases of a few seconds (in days) so plans reach their stage while the demo runs.
BRIEF = 0.00005
T = TypeVar("T")


class Demo:
    def __init__(self, settings: PortalSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.officer_id = ""
        self.auth: dict[str, str] = {}
        self.admin = {ADMIN_HEADER: settings.admin_secret} if settings.admin_secret else {}
        self.url = {
            "intake": settings.intake_url,
            "audit": settings.audit_url,
            "roadmap": settings.roadmap_url,
            "kpi": settings.kpi_url,
        }
        self.questionnaire: dict[str, Any] = {}
        self.partner: dict[str, Any] = {}

    async def call(
        self, service: str, method: str, path: str, body: Any = None, ok: tuple[int, ...] = ()
    ) -> Any:
        answer = await self.http.request(method, self.url[service] + path, json=body, headers=self.auth)
        if answer.status_code >= 400 and answer.status_code not in ok:
            raise RuntimeError(f"{service} {method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    async def sign_up(self) -> None:
        """The demo officer, created at intake (or a new token if a previous demo created it)."""
        created = await self.http.post(
            f"{self.url['intake']}/v1/officers",
            json={"name": DEMO_NAME, "email": DEMO_EMAIL},
            headers=self.admin,
        )
        if created.status_code == 409:
            created = await self.http.post(
                f"{self.url['intake']}/v1/officers/tokens", json={"email": DEMO_EMAIL}, headers=self.admin
            )
        if created.status_code >= 400:
            raise SystemExit(f"intake refused the demo officer: {created.status_code} {created.text[:300]}")
        issued = created.json()
        self.officer_id = issued["officer"]["id"]
        self.auth = {"Authorization": f"Bearer {issued['token']}"}

    async def sign_in_link(self) -> str:
        """A one-time portal sign-in link for the demo officer, from intake."""
        answer = await self.http.post(
            f"{self.url['intake']}/v1/officers/sign-in-links", json={"email": DEMO_EMAIL}, headers=self.admin
        )
        if answer.status_code >= 400:
            raise SystemExit(f"intake refused a sign-in link: {answer.status_code} {answer.text[:300]}")
        link: str = answer.json()["url"]
        return link

    async def check_platform(self) -> None:
        for service, url in self.url.items():
            try:
                ready = await self.http.get(f"{url}/readyz", timeout=5)
            except httpx.HTTPError as error:
                raise SystemExit(
                    f"{service} is not reachable at {url} ({error}): start the platform with `make run`"
                ) from error
            if ready.status_code != 200:
                raise SystemExit(
                    f"{service} at {url} is not ready yet ({ready.text[:200]}); try again shortly"
                )

    async def register(self, clinic: DemoClinic) -> None:
        body = {
            "name": clinic.name,
            "specialty": clinic.specialty,
            "locations": 1 + len(clinic.name) % 3,
            "staff": [
                {"role": "physician", "headcount": 3, "hourly_cost": 120.0},
                {"role": "medical assistant", "headcount": 4, "hourly_cost": 24.0},
                {"role": "front desk", "headcount": 3, "hourly_cost": 21.0},
            ],
            "systems": {"emr": "athenahealth", "phone": "RingCentral", "scheduling": "athenahealth"},
        }
        clinic.id = (await self.call("intake", "POST", "/v1/clinics", body))["id"]

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
        await self.call("intake", "POST", f"/v1/clinics/{clinic.id}/assessments", {"answers": answers})

    async def open_audit(self, clinic: DemoClinic) -> str:
        audit = await until(
            lambda: self.call("audit", "POST", f"/v1/clinics/{clinic.id}/audits", {}, ok=(404,)),
            what=f"audit to know {clinic.name}",
            accept=lambda answer: answer is not None and "id" in answer,
        )
        today = clock.today().isoformat()
        entries = [
            {
                "staff_id": staff,
                "role": role,
                "day": today,
                "category": category,
                "description": text,
                "minutes": minutes,
                "occurrences": count,
                "predictability": predictability,
                "tools": tools,
            }
            for staff, role, category, text, minutes, count, predictability, tools in AUDIT_LOG
        ]
        await self.call("audit", "POST", f"/v1/audits/{audit['id']}/entries", entries)
        return str(audit["id"])

    async def proposals(self, clinic: DemoClinic) -> list[dict[str, Any]]:
        body = await until(
            lambda: self.call("roadmap", "GET", f"/v1/clinics/{clinic.id}/initiatives", ok=(404,)),
            what=f"roadmap's proposals for {clinic.name}",
            accept=lambda answer: bool(
                answer and answer.get("initiatives") and not answer.get("waiting_for")
            ),
            within=180,
        )
        initiatives: list[dict[str, Any]] = body["initiatives"]
        return initiatives

    async def run_plan(self, clinic: DemoClinic, first: dict[str, Any]) -> None:
        days = {"baseline": BRIEF, "preparation": BRIEF}
        if clinic.stage == "pilot":
            days["pilot"] = 42
        else:
            days["pilot"] = BRIEF
        if clinic.stage == "sustain":
            days["rollout"] = BRIEF
        approval = {
            "owner": "pm-1",
            "target_change_pct": first.get("suggested_target_pct") or -30,
            "pilot_group": ["dr-0", "dr-1", "ma-0"],
            "phase_days": days,
            "checkin_days": 7,
            # The feeds already hold weeks of events: they are the baseline. kpi sends it with its first
            # weekly snapshot, which the demo's minutes-long phases do not wait for.
            "baseline_from_history_weeks": 4,
            "no_baseline_reason": "demo clinic: the baseline comes with kpi's first weekly snapshot",
        }
        approved = await self.call("roadmap", "POST", f"/v1/initiatives/{first['id']}/approve", approval)
        plan_id = approved["plan_id"]
        await self.staff_told_and_trained(plan_id)
        if clinic.stage in ("rollout", "sustain"):
            await until(
                lambda: self.call("roadmap", "GET", f"/v1/plans/{plan_id}"),
                what=f"{clinic.name}'s plan at its gate",
                accept=lambda plan: (
                    (plan is not None and bool((plan.get("live") or {}).get("awaiting_decision")))
                    or (plan or {}).get("phase") == "evaluation"
                ),
                within=180,
            )
            await until(
                lambda: self.call(
                    "roadmap",
                    "POST",
                    f"/v1/plans/{plan_id}/decisions",
                    {"action": "continue", "note": "pilot staff asked to keep it"},
                    ok=(409, 503),
                ),
                what=f"{clinic.name}'s gate decision",
                accept=lambda answer: answer is not None and "result" in answer,
                within=120,
            )

    async def staff_told_and_trained(self, plan_id: str) -> None:
        """Preparation's buy-in: the plan leaves preparation only once staff were told and trained."""
        buy_in = f"/v1/plans/{plan_id}/buy-in"
        told = {"kind": "why_we_change", "audiences": ["all_staff"]}
        await self.call("roadmap", "POST", f"{buy_in}/communications", told)
        trained = {"status": "held", "attendees": ["dr-0", "dr-1", "ma-0"]}
        await self.call("roadmap", "POST", f"{buy_in}/trainings", trained)

    async def partner_events(self, clinics: list[DemoClinic]) -> int:
        """Weeks of operational facts, signed as a partner signs them; returns how many were accepted."""
        linked = [clinic for clinic in clinics if clinic.stage in ("pilot", "gate", "rollout", "sustain")]
        if not linked:
            return 0
        self.partner = await self.call(
            "kpi",
            "POST",
            "/v1/partners",
            {"name": "Demo EMR and phones", "kind": "other", "clinic_ids": [clinic.id for clinic in linked]},
        )
        accepted = 0
        for clinic in linked:
            events = demo_events(clinic, now=clock.now(), zone=UTC)
            for start in range(0, len(events), 1000):
                accepted += await self.post_signed(events[start : start + 1000])
        return accepted

    async def post_signed(self, events: list[dict[str, Any]]) -> int:
        body = json.dumps(events)
        webhook_id, now = f"msg_{uuid.uuid4().hex}", clock.now()
        headers = {
            "Authorization": f"Bearer {self.partner['api_key']}",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(self.partner["webhook_secret"]).sign(webhook_id, now, body),
            "content-type": "application/cloudevents-batch+json",
        }
        answer = await self.http.post(f"{self.url['kpi']}/v1/partner-events", content=body, headers=headers)
        if answer.status_code != 202:
            raise RuntimeError(f"kpi refused the partner batch: {answer.status_code} {answer.text[:300]}")
        return int(answer.json().get("accepted", 0))

    async def chart_baselines(self, clinics: list[DemoClinic]) -> None:
        """Have kpi send the plans' baseline weeks, now that the feeds' past weeks are counted."""
        planned = [c for c in clinics if STAGES.index(c.stage) >= STAGES.index("pilot")]
        yesterday = (clock.now() - timedelta(days=1)).date().isoformat()
        for clinic in planned:
            if clinic.feed != "quiet":
                # kpi counts the events a few seconds after accepting them: judged before they are
                # counted, a feed would look quiet. Yesterday's notes are the last ones sent.
                series = (
                    f"/v1/clinics/{clinic.id}/kpis?granularity=day"
                    f"&kpi=documentation_minutes_per_note&start={yesterday}"
                )
                await until(
                    functools.partial(self.call, "kpi", "GET", series),
                    what=f"kpi to count {clinic.name}'s partner events",
                    accept=lambda answer: any(
                        point["value"] for kpi in (answer or {}).get("kpis", []) for point in kpi["points"]
                    ),
                )
            path = f"/v1/clinics/{clinic.id}/kpis/evaluate"
            await until(
                functools.partial(self.call, "kpi", "POST", path, {}),
                what=f"kpi to chart {clinic.name}'s baseline",
                # The quiet feed's clinic gets its stale-feed alert instead.
                accept=lambda answer: bool(answer and (answer.get("snapshots") or answer.get("alerts"))),
            )

    async def build(self, clinic: DemoClinic) -> None:
        stage = STAGES.index(clinic.stage)
        await self.register(clinic)
        await self.assess(clinic)
        if stage >= STAGES.index("auditing"):
            audit_id = await self.open_audit(clinic)
            if stage >= STAGES.index("roadmap"):
                await until(
                    lambda: self.call("audit", "POST", f"/v1/audits/{audit_id}/close", ok=(409, 503)),
                    what=f"{clinic.name}'s audit to close",
                    accept=lambda answer: answer is not None,
                )
                initiatives = await self.proposals(clinic)
                await self.call(
                    "roadmap", "PUT", f"/v1/clinics/{clinic.id}/strategy-interview", interview(clinic)
                )
                initiatives = await self.proposals(clinic)  # re-ranked by the strategy map
                if stage >= STAGES.index("pilot"):
                    await self.run_plan(clinic, initiatives[0])
        print(f"  {clinic.name:<36} {clinic.stage}", flush=True)


INTERVIEW_AREAS = ("documentation", "scheduling", "communication", "billing", "retention", "operations")
QUESTIONS = ("staff_time", "patient_friction", "missed_revenue", "burnout")


def interview(clinic: DemoClinic) -> dict[str, Any]:
    """The strategy interview as the practice might answer it: ratings only, no notes."""
    rng = random.Random(f"strategy:{clinic.name}")  # noqa: S311 - demo figures, nothing secret
    return {
        "answers": [
            {"area": area, "question": question, "rating": rng.choice((0, 1, 1, 2, 2, 3))}
            for area in INTERVIEW_AREAS
            for question in QUESTIONS
        ]
    }


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
    async with httpx.AsyncClient(timeout=60) as http:
        demo = Demo(settings, http)
        await demo.check_platform()
        await demo.sign_up()
        demo.questionnaire = await demo.call("intake", "GET", "/v1/assessment/questionnaire")
        clinics = portfolio(count)
        print(f"Building {len(clinics)} clinics as {DEMO_NAME}:", flush=True)
        limit = asyncio.Semaphore(6)

        async def build(clinic: DemoClinic) -> None:
            async with limit:
                await demo.build(clinic)

        await asyncio.gather(*(build(clinic) for clinic in clinics))
        accepted = await demo.partner_events(clinics)
        print(f"Partner events accepted by kpi: {accepted}", flush=True)
        await demo.chart_baselines(clinics)
        link = await demo.sign_in_link()
    MARKER.parent.mkdir(parents=True, exist_ok=True)
    MARKER.write_text(
        json.dumps({"officer_id": demo.officer_id, "clinics": [clinic.id for clinic in clinics]})
    )
    return (
        "Open the portal as the demo officer (the link works once, for 15 minutes; "
        f"`faio officer login --email {DEMO_EMAIL}` prints a new one):\n{link}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Fill a running faio platform with a demo portfolio.")
    parser.add_argument("--clinics", type=int, default=25)
    args = parser.parse_args()
    print(asyncio.run(run(args.clinics, PortalSettings())))


if __name__ == "__main__":
    main()
