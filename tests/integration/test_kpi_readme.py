"""The kpi README's walk-through, run as printed against a kpi process on the real broker."""

import asyncio
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from tests.integration.kpi_support import ROOT, live_kpi, live_officer_headers, register_live_clinics

README = ROOT / "services" / "kpi" / "README.md"


def walk_through() -> str:
    """The README's first bash block."""
    match = re.search(r"```bash\n(.*?)```", README.read_text(), re.DOTALL)
    assert match is not None, f"no bash block in {README}"
    return match.group(1)


async def test_the_readme_walk_through_works_as_printed(kafka: str, tmp_path: Path) -> None:
    officer = f"officer-{uuid.uuid4()}"
    async with live_kpi(kafka, tmp_path / "kpi") as kpi:
        [clinic] = await register_live_clinics(kafka, kpi, officer_id=officer, count=1)
        token = live_officer_headers(officer)["Authorization"].removeprefix("Bearer ")
        env = os.environ | {
            "FAIO_TOKEN": token,
            "CLINIC_ID": str(clinic),
            "KPI_URL": kpi.url,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # `python` is the venv's
        }
        shell = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-euo", "pipefail", "-c", walk_through()],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert shell.returncode == 0, f"stdout:\n{shell.stdout}\nstderr:\n{shell.stderr}"
    assert '202 {"accepted":1,' in shell.stdout
    assert '"name":"missed_call_rate"' in shell.stdout
    assert '"snapshots":[]' in shell.stdout
