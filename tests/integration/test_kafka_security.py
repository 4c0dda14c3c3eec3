"""The compose broker's security, for real: SASL_SSL with SCRAM-SHA-512, each service its own user,
and ACLs from deploy/kafka/acls.py that let a service touch its own topics and nothing else.

The broker runs deploy/kafka/server.properties; the services' side is shared.broker's
kafka_security / kafka_client_options, configured from settings as compose configures it.
"""

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError
from pydantic import SecretStr

from deploy.certs import create_all
from deploy.kafka.acls import service_grants
from shared.broker import create_broker, ensure_topics, kafka_client_options
from shared.settings import SharedSettings
from shared.topics import CLINIC_REGISTERED, KPI_SNAPSHOT
from tests.integration.secure_kafka import SecureKafka, apply_grants

USERS = {name: secrets.token_hex(16) for name in ("faio-admin", "faio-kpi", "faio-portal")}


def settings_of(kafka: SecureKafka, user: str, password: str | None = None) -> SharedSettings:
    return SharedSettings(
        service_name=user.removeprefix("faio-"),
        kafka_bootstrap_servers=kafka.bootstrap,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username=user,
        kafka_sasl_password=SecretStr(password or USERS[user]),
        kafka_ssl_cafile=str(kafka.secrets / "ca.crt"),
    )


@pytest.fixture(scope="module")
async def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecureKafka]:
    root = tmp_path_factory.mktemp("secure-kafka")
    create_all(root / "secrets")
    with SecureKafka(root / "data", root / "secrets", USERS) as kafka:
        admin_options = kafka_client_options(settings_of(kafka, "faio-admin"))
        await ensure_topics(kafka.bootstrap, client_options=admin_options)  # as the init job does
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **admin_options)
        await admin.start()
        try:
            await apply_grants(admin, service_grants("kpi") + service_grants("portal"))
        finally:
            await admin.close()
        yield kafka


async def test_a_service_publishes_its_topic_and_another_reads_it_in_its_own_group(
    secure_kafka: SecureKafka,
) -> None:
    broker = create_broker(settings_of(secure_kafka, "faio-kpi"))
    await broker.start()
    try:
        await broker.publish(b"snapshot-canary", topic=KPI_SNAPSHOT.name, key=b"clinic")
    finally:
        await broker.stop()
    portal = settings_of(secure_kafka, "faio-portal")
    consumer = AIOKafkaConsumer(
        KPI_SNAPSHOT.name,
        bootstrap_servers=secure_kafka.bootstrap,
        group_id=f"{portal.consumer_group}.{KPI_SNAPSHOT.name}",
        auto_offset_reset="earliest",
        **kafka_client_options(portal),
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 60)
    finally:
        await consumer.stop()
    assert record.value == b"snapshot-canary"


async def test_a_service_cannot_write_a_topic_it_does_not_produce(secure_kafka: SecureKafka) -> None:
    for user, topic in (("faio-kpi", CLINIC_REGISTERED.name), ("faio-portal", KPI_SNAPSHOT.name)):
        producer = AIOKafkaProducer(
            bootstrap_servers=secure_kafka.bootstrap, **kafka_client_options(settings_of(secure_kafka, user))
        )
        await producer.start()
        try:
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(topic, b"forged")
        finally:
            await producer.stop()


async def test_a_wrong_password_and_a_plaintext_client_are_refused(secure_kafka: SecureKafka) -> None:
    wrong = AIOKafkaProducer(
        bootstrap_servers=secure_kafka.bootstrap,
        **kafka_client_options(settings_of(secure_kafka, "faio-kpi", password="not-the-password")),
    )
    with pytest.raises(KafkaError):
        await wrong.start()
    await wrong.stop()
    plaintext = AIOKafkaProducer(bootstrap_servers=secure_kafka.bootstrap, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await plaintext.start()
    await plaintext.stop()


def test_security_is_plaintext_unless_configured_and_needs_credentials() -> None:
    assert kafka_client_options(SharedSettings()) == {}
    with pytest.raises(ValueError, match="FAIO_KAFKA_SASL_USERNAME"):
        SharedSettings(kafka_security_protocol="SASL_SSL")
    options = kafka_client_options(
        SharedSettings(
            kafka_security_protocol="SASL_SSL", kafka_sasl_username="u", kafka_sasl_password=SecretStr("p")
        )
    )
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["ssl_context"].check_hostname
