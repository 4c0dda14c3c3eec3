"""`faio report`: the practice report PDF with the real `faio` against a real portal over HTTP.

The portal (with a real roadmap app behind it, in process) is served by uvicorn on a free port;
the CLI runs in a worker thread with the officer's bearer token, as it would on a laptop.
"""

import asyncio
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner, Result

from services.cli.main import app as cli
from shared.auth import issue_token
from tests.integration.test_intake_cli import serving
from tests.unit.portal_roadmap_support import OFFICER, portal_with_roadmap
from tests.unit.test_practice_report import approve_first


async def test_the_practice_report_pdf_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FAIO_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)

    async def faio(*args: str, token: str = "") -> Result:
        env = {"FAIO_TOKEN": token} if token else None
        return await asyncio.to_thread(lambda: runner.invoke(cli, list(args), env=env))

    async with portal_with_roadmap(tmp_path) as portal:
        clinic_id = await portal.clinic(name="Harbor Family Practice")
        await approve_first(portal, clinic_id)
        mine = issue_token(portal.settings, officer_id=OFFICER, name="Dana Officer")
        theirs = issue_token(portal.settings, officer_id="officer-next-door", name="Other Officer")
        async with serving(portal.app) as url:
            monkeypatch.setenv("FAIO_PORTAL_URL", url)

            out = tmp_path / "owner.pdf"
            written = await faio("report", "--clinic", str(clinic_id), "--out", str(out), token=mine)
            assert written.exit_code == 0, written.output
            assert f"report: {out.resolve()}" in written.stdout
            reader = PdfReader(out)
            text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
            assert "Harbor Family Practice" in text and "Documentation" in text and "pm-1" in text

            # Without --out: the portal's name for it, in the current folder; --json for scripts.
            named = await faio("report", "--clinic", str(clinic_id), "--json", token=mine)
            assert named.exit_code == 0, named.output
            answer = json.loads(named.stdout)
            assert Path(answer["path"]).parent == tmp_path
            assert Path(answer["path"]).name.startswith("roadmap-harbor-family-practice-")
            assert (await asyncio.to_thread(Path(answer["path"]).read_bytes)).startswith(b"%PDF-")

            # Another officer's clinic is not confirmed to exist: the same 404 as an unknown one.
            stranger = await faio("report", "--clinic", str(clinic_id), "--out", "theirs.pdf", token=theirs)
            assert stranger.exit_code == 1
            assert f"clinic {clinic_id} is not in your portfolio" in stranger.stderr
            assert "faio clinic list" in stranger.stderr
            assert not (tmp_path / "theirs.pdf").exists()

            unsigned = await faio("report", "--clinic", str(clinic_id))
            assert unsigned.exit_code == 1 and "FAIO_TOKEN" in unsigned.stderr
            forged = await faio("report", "--clinic", str(clinic_id), token=mine[:-4] + "AAAA")
            assert forged.exit_code == 1 and "refused the token" in forged.stderr

            typo = await faio("report", "--clinic", "not-a-clinic-id", token=mine)
            assert typo.exit_code == 2 and "clinic_id" in typo.stderr
