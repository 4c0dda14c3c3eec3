"""The curl examples of services/intake/README.md, run as printed against a real intake server.

Only the address changes (intake listens on a free port here, not 8001); `H` and `ID` are
set as the page says: a bearer header of an officer, and one of that officer's clinics.
"""

import asyncio
import os
import subprocess
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.integration.test_intake_cli import serving
from tests.services import registered_officer, tracer_provider

README = Path(__file__).parents[2] / "services" / "intake" / "README.md"
# Every curl of the block fails the script on an HTTP error, with the service's answer shown.
STRICT_CURL = 'set -euo pipefail; curl() { command curl -sS --fail-with-body "$@"; echo; }\n'


def curl_block() -> str:
    """The README's bash block that follows 'Over HTTP'."""
    after = README.read_text().split("Over HTTP", 1)[1]
    return after.split("```bash\n", 1)[1].split("```", 1)[0]


async def test_the_intake_readme_curl_examples_work_as_printed(kafka: str, tmp_path: Path) -> None:
    settings = IntakeSettings(
        environment="test",
        kafka_bootstrap_servers=kafka,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
    )
    app = create_app(settings, tracer_provider("intake", None))
    async with LifespanManager(app), serving(app) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            _, token = await registered_officer(http)
            headers = {"Authorization": f"Bearer {token}"}
            clinic = await http.post(
                "/v1/clinics",
                json={"name": "Downtown Dermatology", "specialty": "dermatology"},
                headers=headers,
            )
        script = STRICT_CURL + curl_block().replace("localhost:8001", url.removeprefix("http://"))
        environment = os.environ | {"H": f"Authorization: Bearer {token}", "ID": clinic.json()["id"]}
        done = await asyncio.to_thread(
            subprocess.run,
            ["/bin/bash", "-c", script],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        assert done.stdout.count('"token"') == 2  # created, then a new one
        assert "/sign-in?token=" in done.stdout
        assert '"verdict"' in done.stdout and '"archived_at":"20' in done.stdout
        async with httpx.AsyncClient(base_url=url) as http:
            archived = await http.get(f"/v1/clinics/{clinic.json()['id']}", headers=headers)
        assert archived.json()["systems"] == {"emr": "Epic"}
