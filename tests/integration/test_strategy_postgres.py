"""The strategy interview and the solution catalog under concurrent requests, on PostgreSQL.

SQLite (the development default) refuses a second writer whose read snapshot is stale, so the
races production meets are run here, on Debian's PostgreSQL.
"""

import asyncio
from pathlib import Path

from deploy.local.postgres import PostgresServer
from services.roadmap.catalog import rules as catalog
from tests.unit.roadmap_support import roadmap_app
from tests.unit.test_strategy_api import DIMENSIONS, HOURS, OFFICER, answers


async def test_a_form_sent_twice_at_once_records_each_answer_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    async with roadmap_app(tmp_path, postgres.create_database("roadmap_strategy_twice")) as roadmap:
        clinic_id = await roadmap.clinic(OFFICER, hours=HOURS, dimensions=DIMENSIONS)
        path = f"/v1/clinics/{clinic_id}/strategy-interview"
        body = {"answers": answers("documentation", 3, 2, 1, 3)}
        sent = await asyncio.gather(
            *(roadmap.http.put(path, json=body, headers=roadmap.auth(OFFICER)) for _ in range(8))
        )
        assert [answer.status_code for answer in sent] == [200] * 8, [answer.text for answer in sent]
        interview = (await roadmap.http.get(path, headers=roadmap.auth(OFFICER))).json()
        assert sorted(answer["rating"] for answer in interview["answers"]) == [1, 2, 3, 3]


async def test_two_first_reads_at_once_seed_the_catalog_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    async with roadmap_app(tmp_path, postgres.create_database("roadmap_catalog_race")) as roadmap:
        headers = roadmap.auth("officer-catalog-racing")
        listed = await asyncio.gather(*(roadmap.http.get("/v1/catalog", headers=headers) for _ in range(4)))
        assert [answer.status_code for answer in listed] == [200] * 4, [answer.text for answer in listed]
        assert {len(answer.json()) for answer in listed} == {len(catalog.seed_entries())}
