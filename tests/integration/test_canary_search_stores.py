"""The canary search reads the real stores: a canary planted on a Kafka topic of the session's broker
and in a PostgreSQL test database is found there, then taken back so that the run stays clean."""

import subprocess
import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.local.postgres import USER, PostgresServer
from tests import canaries
from tests.kafka_io import produce
from tests.polling import eventually


async def test_a_canary_on_a_topic_is_found(kafka: str) -> None:
    topic = f"canary-plant-{uuid.uuid4()}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        await produce(kafka, topic, canaries.PHONE.encode(), key="clinic", headers={"ce_id": "1"})
        found = [finding for finding in await canaries.scan_topics(kafka) if topic in finding.where]
        assert found == [canaries.Finding(f"topic {topic} partition 0 offset 0", "415-555-0132")]
    finally:
        await admin.delete_topics([topic])

        async def gone() -> bool:
            return topic not in await admin.list_topics()

        await eventually(gone, what=f"{topic} deleted")
        await admin.close()


def test_a_canary_in_a_postgres_database_is_found(postgres: PostgresServer) -> None:
    name = postgres.create_database("canary_plant").rsplit("/", 1)[-1]

    def psql(sql: str, database: str = name) -> None:
        command = [str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", USER]
        subprocess.run([*command, "-d", database, "-c", sql], check=True, capture_output=True)

    try:
        psql(f"CREATE TABLE notes (note text); INSERT INTO notes VALUES ('{canaries.MRN}')")
        found = canaries.scan_postgres(postgres.bin, postgres.port, USER)
        assert {(finding.where.split(":")[0], finding.canary) for finding in found} == {
            (f"postgres database {name}", "MRN 4839201")
        }
    finally:
        psql(f"DROP DATABASE {name}", database="postgres")
    assert canaries.scan_postgres(postgres.bin, postgres.port, USER) == []
