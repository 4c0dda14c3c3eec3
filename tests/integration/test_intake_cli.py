"""The officer's whole intake journey from the command line, against a real intake server.

The intake app runs with its lifespan in this process and is served by uvicorn on a free
port; the CLI runs in a worker thread and talks real HTTP to it, as it would on a laptop.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from services.cli import intake as intake_cli
from services.cli.main import app as cli
from tests.polling import eventually
from tests.services import officer_token, running
from tests.unit.test_intake_scoring import MIDDLING


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


async def test_clinic_add_list_and_assessment_submit_over_http(
    kafka: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    # Wide enough that rich never wraps a clinic id or a score across lines.
    monkeypatch.setattr(intake_cli.console, "width", 200)
    monkeypatch.setattr(intake_cli.errors, "width", 200)
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"questionnaire_version": "v1", "answers": MIDDLING}))

    async with (
        running("intake", kafka=kafka, data_dir=tmp_path) as platform,
        serving(platform["intake"].app) as url,
    ):
        monkeypatch.setenv("FAIO_INTAKE_URL", url)
        monkeypatch.setenv("FAIO_TOKEN", officer_token(f"officer-{uuid.uuid4()}"))

        async def faio(*args: str) -> Result:
            return await asyncio.to_thread(lambda: runner.invoke(cli, list(args)))

        added = await faio(
            "clinic", "add", "--name", "Lakeside Dermatology", "--specialty", "dermatology",
            "--locations", "2", "--staff", "front desk:3:24", "--staff", "dermatologist:2:150",
            "--system", "emr=ModMed", "--system", "phone=Weave",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        assert "Lakeside Dermatology" in added.stdout
        assert "front desk x3 ($24/h)" in added.stdout
        page = (
            await platform["intake"].http.get("/v1/clinics", headers={"Authorization": "Bearer x"})
        ).status_code
        assert page == 401
        clinic_id = next(
            line.split("submit ")[1].split()[0] for line in added.stdout.splitlines() if "submit" in line
        )

        submitted = await faio("assessment", "submit", clinic_id, str(answers))
        assert submitted.exit_code == 0, submitted.output
        assert "Readiness: foundational (overall 52.4/100)" in submitted.stdout
        assert "Measurement habit" in submitted.stdout

        listed = await faio("clinic", "list", "--level", "foundational")
        assert listed.exit_code == 0, listed.output
        assert "Clinics 1-1 of 1" in listed.stdout
        assert "foundational" in listed.stdout and "52.4" in listed.stdout

        template = await faio("assessment", "questionnaire", "--template")
        assert template.exit_code == 0, template.output
        blank = yaml.safe_load(template.stdout)
        assert blank["questionnaire_version"] == "v1"
        assert blank["answers"] == dict.fromkeys(MIDDLING)  # every question, waiting for an answer

        history = await faio("assessment", "history", clinic_id)
        assert "1 assessment(s)" in history.stdout

        incomplete = tmp_path / "incomplete.yaml"
        incomplete.write_text(yaml.safe_dump({k: v for k, v in MIDDLING.items() if k != "comp_baa"}))
        refused = await faio("assessment", "submit", clinic_id, str(incomplete))
        assert refused.exit_code == 2
        assert "comp_baa" in refused.stderr

        someone_elses = await faio("clinic", "show", clinic_id, "--token", officer_token("officer-other"))
        assert someone_elses.exit_code == 1
        assert "not found" in someone_elses.stderr and "faio clinic list" in someone_elses.stderr

    monkeypatch.setenv("FAIO_INTAKE_URL", "http://127.0.0.1:9")
    unreachable = await asyncio.to_thread(lambda: runner.invoke(cli, ["clinic", "list"]))
    assert unreachable.exit_code == 1
    assert "cannot reach the intake service" in unreachable.stderr
