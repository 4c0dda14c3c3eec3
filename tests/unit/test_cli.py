"""The `faio` command line as a whole: its surface, that it is only a client, and the roadmap/kpi groups."""

import ast
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
from standardwebhooks.webhooks import Webhook

from services.cli.main import app
from services.cli.render import sparkline
from tests.unit.cli_support import FakeServices, faio, services

__all__ = ["services"]  # the fixture, used by name

CLI_DIR = Path(__file__).parents[2] / "services" / "cli"
SERVICE_PACKAGES = tuple(f"services.{name}" for name in ("intake", "audit", "roadmap", "kpi", "portal"))
GROUPS = {"officer", "clinic", "assessment", "audit", "initiative", "plan", "partner", "kpi"}
CLINIC_ID = "4201c2fd-2f77-467a-a64e-4b1612ab2699"
INITIATIVE_ID = "0b2a9e01-d0ef-57c1-a896-8fa4eed6852a"


def commands() -> dict[str, Any]:
    """Every `group command` of the app, nested groups too (`plan buy-in show`)."""
    root: Any = typer.main.get_command(app)

    def leaves(prefix: str, group: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            found.update(leaves(path, command) if hasattr(command, "commands") else {path: command})
        return found

    return leaves("", root)


def test_help_lists_every_group_of_the_method() -> None:
    result = faio("--help", token=None)
    assert result.exit_code == 0
    assert {
        line.split()[1]
        for line in result.stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 1
    } >= GROUPS


def test_every_command_answers_in_json_for_scripts() -> None:
    found = commands()
    assert {"officer login", "audit close", "initiative approve", "plan decide", "kpi show"} <= set(found)
    without = [
        name for name, command in found.items() if "--json" not in {o for p in command.params for o in p.opts}
    ]
    assert without == []


def test_the_cli_never_imports_a_service_or_opens_a_database() -> None:
    for path in CLI_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(SERVICE_PACKAGES), (path, name)
                assert not name.startswith(("sqlalchemy", "sqlmodel", "alembic", "shared.db")), (path, name)


def test_a_sparkline_spans_its_values_and_leaves_gaps() -> None:
    assert sparkline([1, 2, 3, None, 8]) == "▁▂▃ █"
    assert sparkline([5, 5]) == "▁▁"
    assert sparkline([None]) == ""


def series(name: str, values: list[float | None]) -> dict[str, Any]:
    points = [
        {"period": f"2026-W{40 + i}", "value": v, "sample_size": 9, "no_data": None}
        for i, v in enumerate(values)
    ]
    return {
        "name": name,
        "title": name,
        "unit": "ratio",
        "better": "lower",
        "baseline": 0.3,
        "target": 0.15,
        "points": points,
    }


def test_kpi_show_draws_a_sparkline_per_kpi(services: FakeServices) -> None:
    body = {
        "clinic_id": CLINIC_ID,
        "granularity": "week",
        "start": "2026-10-02",
        "end": "2026-11-27",
        "initiative": None,
        "kpis": [series("missed_call_rate", [0.3, 0.25, None, 0.1])],
    }
    services.answer("GET", f"/v1/clinics/{CLINIC_ID}/kpis", 200, body)
    result = faio("kpi", "show", CLINIC_ID, "--weeks", "4")
    assert result.exit_code == 0, result.output
    assert "█▆ ▁" in result.stdout and "10 %" in result.stdout and "30 %" in result.stdout
    params = services.sent("GET", f"/v1/clinics/{CLINIC_ID}/kpis").url.params
    assert params["granularity"] == "week"


def test_approve_without_a_target_takes_the_suggested_one(services: FakeServices) -> None:
    initiative = {"id": INITIATIVE_ID, "suggested_target_pct": -30.0}
    services.answer("GET", f"/v1/initiatives/{INITIATIVE_ID}", 200, initiative)
    services.answer(
        "POST",
        f"/v1/initiatives/{INITIATIVE_ID}/approve",
        201,
        initiative | {"plan_id": f"plan-{INITIATIVE_ID}"},
    )
    result = faio(
        "initiative", "approve", INITIATIVE_ID, "--owner", "staff-101", "--pilot", "staff-201", "--json"
    )
    assert result.exit_code == 0, result.output
    assert services.body("POST", f"/v1/initiatives/{INITIATIVE_ID}/approve") == {
        "owner": "staff-101",
        "target_change_pct": -30.0,
        "pilot_group": ["staff-201"],
    }
    from_history = faio(
        "initiative",
        "approve",
        INITIATIVE_ID,
        "--owner",
        "staff-101",
        "--target-change-pct",
        "-20",
        "--baseline-from-history-weeks",
        "4",
        "--pilot-started-on",
        "2026-11-02",
        "--json",
    )
    assert from_history.exit_code == 0, from_history.output
    assert json.loads(services.requests[-1].content) == {
        "owner": "staff-101",
        "target_change_pct": -20.0,
        "pilot_group": [],
        "baseline_from_history_weeks": 4,
        "pilot_started_on": "2026-11-02",
    }


def test_bad_decisions_and_phase_lengths_are_refused_before_sending(services: FakeServices) -> None:
    decided = faio("plan", "decide", f"plan-{INITIATIVE_ID}", "maybe")
    assert decided.exit_code == 2 and "continue, extend or stop" in decided.stderr
    approved = faio(
        "initiative",
        "approve",
        INITIATIVE_ID,
        "--owner",
        "staff-1",
        "--target-change-pct",
        "-30",
        "--phase-days",
        "pilots=4",
    )
    assert approved.exit_code == 2 and "PHASE=DAYS" in approved.stderr
    assert services.requests == []


@pytest.mark.parametrize(
    ("option", "value"), [("--owner", "Jane Doe, MD"), ("--owner", "Jane.Doe"), ("--pilot", "Maria Lopez")]
)
def test_names_for_owner_or_pilot_never_leave_the_machine(
    services: FakeServices, option: str, value: str
) -> None:
    arguments = {"--owner": "staff-101", "--pilot": "staff-201"} | {option: value}
    result = faio(
        "initiative", "approve", INITIATIVE_ID, "--target-change-pct", "-30",
        *(word for pair in arguments.items() for word in pair),
    )  # fmt: skip
    assert result.exit_code == 2
    assert option in result.stderr and "never a name" in result.stderr and "staff-101" in result.stderr
    assert services.requests == []


def test_a_gate_conflict_reads_as_the_services_reason(services: FakeServices) -> None:
    plan = f"plan-{INITIATIVE_ID}"
    services.answer(
        "POST", f"/v1/plans/{plan}/decisions", 409, {"detail": "the plan is not waiting for a gate decision"}
    )
    result = faio("plan", "decide", plan, "extend")
    assert result.exit_code == 1
    assert "the plan is not waiting for a gate decision" in result.stderr


def test_partner_create_prints_both_secrets_whole(services: FakeServices) -> None:
    created = {
        "id": "1d60c89f-8285-4b83-a695-fc25d8db285d",
        "name": "Acme Phones",
        "kind": "phone",
        "clinic_ids": [CLINIC_ID],
        "source": "/partners/1d60c89f",
        "created_at": "2026-11-27T10:00:00Z",
        "api_key": "fpk_" + "k" * 43,
        "webhook_secret": "whsec_" + "c2VjcmV0" * 5,
    }
    services.answer("POST", "/v1/partners", 201, created)
    result = faio("partner", "create", "--name", "Acme Phones", "--kind", "phone", "--clinic", CLINIC_ID)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        f"api key: {created['api_key']}" in lines and f"webhook secret: {created['webhook_secret']}" in lines
    )
    assert faio("partner", "create", "--name", "X", "--kind", "fax").exit_code == 2


def test_demo_events_are_signed_the_standard_webhooks_way(services: FakeServices) -> None:
    secret = "whsec_" + "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"

    def ingest(request: httpx.Request) -> httpx.Response:
        Webhook(secret).verify(request.content, dict(request.headers))  # raises when the signature is wrong
        events = json.loads(request.content)
        assert request.headers["authorization"] == "Bearer fpk_key"
        assert all(datetime.fromisoformat(e["time"]) <= datetime.now(UTC) for e in events)
        report = {"accepted": len(events), "duplicates": 0, "rejected": 0, "results": []}
        return httpx.Response(202, json=report)

    services.answers[("POST", "/v1/partner-events")] = ingest
    result = faio(
        "partner", "send-demo-events", "--clinic", CLINIC_ID, "--api-key", "fpk_key",
        "--webhook-secret", secret, "--weeks", "2", "--json", token=None,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sent"] == summary["accepted"] > 0
    assert len(services.requests) >= 2  # batches, each signed with its own webhook-id
    assert len({r.headers["webhook-id"] for r in services.requests}) == len(services.requests)


def test_plan_show_reads_the_gate_verdict_and_its_design(services: FakeServices) -> None:
    plan = f"plan-{INITIATIVE_ID}"
    live = {
        "day_in_phase": 0,
        "phase_length_days": 0,
        "next_milestone": "officer's gate decision",
        "next_milestone_at": "2026-12-14T09:00:00+00:00",
        "awaiting_decision": True,
        "latest_kpi_week": "2026-W49",
        "latest_kpi_value": 0.15,
        "paused": False,
        "gate_evidence": {
            "outcome": "pass",
            "summary": "change -48.9 % (95% interval -58.1 % to -37.7 %), target -50 %: the change is real",
            "design": "before/after only: the clinic against its own baseline, no concurrent control",
        },
    }
    services.answer(
        "GET",
        f"/v1/plans/{plan}",
        200,
        {
            "id": plan,
            "clinic_id": CLINIC_ID,
            "problem": "phone_calls",
            "kpi": "missed_call_rate",
            "phase": "evaluation",
            "started_at": "2026-12-06T09:00:00+00:00",
            "live": live,
            "transitions": [],
            "notices": [],
        },
    )
    shown = faio("plan", "show", plan)
    assert shown.exit_code == 0, shown.output
    assert "pass: change -48.9 %" in shown.output
    assert "before/after only" in shown.output
