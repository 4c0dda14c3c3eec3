"""An officer's intake journey with the real `faio` against a real intake server over HTTP.

Intake runs with its lifespan in this process (real broker) and is served by uvicorn on a
free port; the CLI runs in a worker thread and speaks HTTP to it, as it would on a laptop.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
import yaml
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from services.cli.main import app as cli
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.polling import eventually
from tests.services import tracer_provider
from tests.unit.test_intake_scoring import MIDDLING

ADMIN_SECRET = "a-bootstrap-secret-for-this-test"


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve an already started app over HTTP on a free port; yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, what="uvicorn to listen")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def printed(result: Result, label: str) -> str:
    """The value of a `label: value` line (ids and tokens are printed whole on one)."""
    return next(
        line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith(f"{label}: ")
    )


async def test_officer_tokens_clinics_and_assessments_from_the_command_line(
    kafka: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    settings = IntakeSettings(
        environment="test",
        kafka_bootstrap_servers=kafka,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}",
        admin_secret=ADMIN_SECRET,
    )
    app = create_app(settings, tracer_provider("intake", None))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FAIO_TOKEN", raising=False)
    monkeypatch.delenv("FAIO_ADMIN_SECRET", raising=False)

    async def faio(*args: str, **env: str) -> Result:
        return await asyncio.to_thread(lambda: runner.invoke(cli, list(args), env=env or None))

    async with LifespanManager(app), serving(app) as url:
        monkeypatch.setenv("FAIO_INTAKE_URL", url)

        # The admin secret is set on intake: without it nobody may create an officer.
        refused = await faio("officer", "create", "--name", "Ada Lovelace", "--email", "ada@example.org")
        assert refused.exit_code == 1
        assert "FAIO_ADMIN_SECRET" in refused.stderr

        monkeypatch.setenv("FAIO_ADMIN_SECRET", ADMIN_SECRET)
        created = await faio("officer", "create", "--name", "Ada Lovelace", "--email", "ada@example.org")
        assert created.exit_code == 0, created.output
        first_token = printed(created, "token")
        me = await faio("officer", "whoami", "--json", FAIO_TOKEN=first_token)
        assert me.exit_code == 0, me.output
        assert yaml.safe_load(me.stdout)["name"] == "Ada Lovelace"
        monkeypatch.setenv("FAIO_TOKEN", first_token)

        added = await faio(
            "clinic", "add", "--name", "Lakeside Dermatology", "--specialty", "dermatology",
            "--locations", "2", "--staff", "front desk:3:24", "--staff", "dermatologist:2:150",
            "--system", "emr=ModMed", "--system", "phone=Weave",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        assert "front desk x3 ($24/h)" in added.stdout
        clinic_id = printed(added, "clinic id")

        template = await faio("assessment", "questionnaire", "--template")
        assert template.exit_code == 0, template.output
        untouched = tmp_path / "untouched.yaml"
        untouched.write_text(template.stdout)
        blank = yaml.safe_load(template.stdout)
        assert blank["answers"] == dict.fromkeys(MIDDLING)  # every question, waiting for an answer
        not_answered = await faio("assessment", "submit", clinic_id, str(untouched))
        assert not_answered.exit_code == 2
        assert not_answered.stderr.count("not answered:") == len(MIDDLING)

        answers = tmp_path / "answers.yaml"
        answers.write_text(yaml.safe_dump({"questionnaire_version": "v1", "answers": MIDDLING}))
        submitted = await faio("assessment", "submit", clinic_id, str(answers))
        assert submitted.exit_code == 0, submitted.output
        assert "Readiness: foundational (overall 52.4/100)" in submitted.stdout

        listed = await faio("clinic", "list", "--level", "foundational")
        assert "Clinics 1-1 of 1" in listed.stdout and clinic_id in listed.stdout

        updated = await faio("clinic", "update", clinic_id, "--system", "scheduling=Zocdoc", "--json")
        assert updated.exit_code == 0, updated.output
        assert yaml.safe_load(updated.stdout)["systems"] == {
            "emr": "ModMed",
            "phone": "Weave",
            "scheduling": "Zocdoc",
        }

        # A lost token: a new one, revoking the old.
        renewed = await faio("officer", "token", "--email", "ada@example.org", "--revoke-previous")
        assert renewed.exit_code == 0, renewed.output
        old = await faio("clinic", "show", clinic_id)
        assert old.exit_code == 1
        assert "revoked" in old.stderr and "faio officer token --email" in old.stderr
        shown = await faio("clinic", "show", clinic_id, "--token", printed(renewed, "token"))
        assert shown.exit_code == 0, shown.output

        other = await faio("officer", "create", "--name", "Grace Hopper", "--email", "grace@example.org")
        someone_elses = await faio("clinic", "show", clinic_id, "--token", printed(other, "token"))
        assert someone_elses.exit_code == 1
        assert "not found" in someone_elses.stderr and "faio clinic list" in someone_elses.stderr

        login = await faio("officer", "login", "--email", "grace@example.org")
        assert printed(login, "sign-in url").startswith("http://127.0.0.1:8005/sign-in?token=")

    unreachable = await faio("clinic", "list")
    assert unreachable.exit_code == 1
    assert "cannot reach the intake service" in unreachable.stderr
