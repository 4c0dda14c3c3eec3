"""docker-compose.yml describes the same platform the settings describe."""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.certs import SERVERS as CERT_SERVERS
from deploy.kafka.acls import (
    OPERATOR,
    init_script,
    kafka_users,
    password_variable,
    service_topics,
    user,
)
from deploy.kafka.acls import (
    SERVICES as ACL_SERVICES,
)
from deploy.temporal_tokens import JWKS_FILE, KEY_FILE, NAMESPACE_ROLES
from services.audit.settings import AuditSettings
from services.intake.settings import IntakeSettings
from services.kpi.settings import KpiSettings
from services.portal.settings import PortalSettings
from services.roadmap.settings import RoadmapSettings
from shared.settings import SharedSettings
from shared.temporal import SEARCH_ATTRIBUTES
from shared.temporal_codec import codec_from_settings
from shared.topics import ALL_TOPICS, OFFICER_TOKENS_REVOKED, PARTNER_ACTIVITY

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
KAFKA_PROPERTIES = (ROOT / "deploy" / "kafka" / "server.properties").read_text()
BROKER_SCRIPT = (ROOT / "deploy" / "kafka" / "broker.sh").read_text()
KAFKA_NODES = ["kafka-1", "kafka-2", "kafka-3"]
CADDYFILE = (ROOT / "deploy" / "ops-proxy" / "Caddyfile").read_text()
SERVICES: list[type[SharedSettings]] = [
    IntakeSettings,
    AuditSettings,
    RoadmapSettings,
    KpiSettings,
    PortalSettings,
]
# Each service's HTTP port, as `make run` (deploy/local/Procfile) and compose give it to uvicorn.
PORTS = {"intake": 8001, "audit": 8002, "roadmap": 8003, "kpi": 8004, "portal": 8005}
WORKLOADS = ["intake", "audit", "audit-worker", "roadmap", "roadmap-worker", "kpi", "portal"]
# What is published: the officers' portal and the partners' front door (kpi's partner events).
PUBLISHED = {"portal", "kpi"}
KAFKA_SERVICES = ["intake", "audit", "roadmap", "kpi", "portal"]  # the workers never touch Kafka
TEMPORAL_WORKLOADS = ["audit", "audit-worker", "roadmap", "roadmap-worker"]


def environment(service: str) -> dict[str, Any]:
    return dict(COMPOSE["services"][service]["environment"])


@pytest.mark.parametrize("settings_class", SERVICES, ids=lambda cls: cls.__name__)
def test_each_service_is_composed_on_its_port(settings_class: type[SharedSettings]) -> None:
    name = settings_class().service_name
    service = COMPOSE["services"][name]
    port = PORTS[name]
    assert service.get("ports", []) == ([f"{port}:{port}"] if name in PUBLISHED else [])
    assert str(port) in service["command"]
    assert environment(name)["HEALTHCHECK_PORT"] == str(port)  # the healthcheck asks that port
    assert f"services.{name}.app:create_app" in service["command"]


@pytest.mark.parametrize("service", WORKLOADS)
def test_every_faio_environment_variable_is_a_setting(service: str) -> None:
    fields = {f"FAIO_{name.upper()}" for cls in SERVICES for name in cls.model_fields}
    assert {name for name in environment(service) if name.startswith("FAIO_")} <= fields


@pytest.mark.parametrize("service", WORKLOADS)
def test_services_reach_kafka_temporal_and_the_collector_by_compose_names(service: str) -> None:
    env = environment(service)
    if service in KAFKA_SERVICES:
        servers = [server.split(":") for server in env["FAIO_KAFKA_BOOTSTRAP_SERVERS"].split(",")]
        assert [host for host, _port in servers] == KAFKA_NODES  # every node: any one answers
        assert "advertised.listeners=SASL_SSL://@ADVERTISED_HOST@:@PORT@" in KAFKA_PROPERTIES
        for _host, port in servers:
            assert f"@PORT@|{port}|" in BROKER_SCRIPT
    if service in TEMPORAL_WORKLOADS:
        temporal_host, temporal_port = env["FAIO_TEMPORAL_ADDRESS"].split(":")
        assert temporal_host in COMPOSE["services"] and temporal_port == "7233"
    collector = env["FAIO_OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert collector == "http://otel-collector:4318"
    assert "otel-collector" in COMPOSE["services"]


def test_production_settings_refuse_the_development_secret() -> None:
    with pytest.raises(ValueError, match="FAIO_SECRET_KEY"):
        SharedSettings(environment="production")


def test_compose_runs_every_process_that_make_run_runs() -> None:
    procfile = (Path(__file__).parents[2] / "deploy" / "local" / "Procfile").read_text()
    # `env NAME=value` before a command sets what compose sets in the service's environment.
    local = {
        line.split(":", 1)[0]: [
            part for part in line.split(":", 1)[1].split() if part != "env" and "=" not in part
        ]
        for line in procfile.splitlines()
        if line and not line.startswith("#")
    }
    infrastructure = {"kafka", "temporal", "mail", "ready"}  # mail: the local sink; compose relays
    assert set(local) - infrastructure == set(WORKLOADS)
    for name in WORKLOADS:
        composed = COMPOSE["services"][name]["command"]
        # Same program and module; only the listen address differs (0.0.0.0 in a container).
        assert [part for part in composed if part != "0.0.0.0"] == [
            part for part in local[name] if part != "127.0.0.1"
        ]


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_process_uses_its_service_database_on_the_compose_postgres(workload: str) -> None:
    service = workload.removesuffix("-worker")  # a worker writes to its service's database
    url = environment(workload)["FAIO_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
    assert url == environment(service)["FAIO_DATABASE_URL"]
    database = url.rsplit("/", 1)[1]
    assert database == service
    created = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    assert f"CREATE DATABASE {database};" in created
    assert "postgres" in COMPOSE["services"][workload]["depends_on"]


# A locked deployment (issue 24, part 8): nothing reachable without credentials.


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def test_only_the_portal_the_partner_door_and_the_authenticated_proxy_publish_ports() -> None:
    published = {name for name, service in COMPOSE["services"].items() if service.get("ports")}
    assert published == PUBLISHED | {"ops-proxy"}
    proxy_ports = COMPOSE["services"]["ops-proxy"]["ports"]
    assert all(port.startswith("127.0.0.1:") for port in proxy_ports)  # loopback: an SSH tunnel away
    sites = re.findall(r"^http://:(\d+) \{(.*?)^\}", CADDYFILE, flags=re.MULTILINE | re.DOTALL)
    assert {port for port, _ in sites} == {port.rsplit(":", 1)[1] for port in proxy_ports}
    upstreams = set()
    for _port, body in sites:
        assert "import operators_only" in body
        upstreams.add(re.search(r"reverse_proxy ([\w-]+):", body).group(1))  # type: ignore[union-attr]
    assert "basic_auth" in CADDYFILE.split("(operators_only)")[1].split("}")[0]
    assert upstreams == {"temporal-ui", "grafana", "prometheus", "jaeger"}
    assert COMPOSE["services"]["grafana"]["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


def test_everything_but_the_front_doors_is_on_the_internal_network_only() -> None:
    assert COMPOSE["networks"]["backend"]["internal"] is True
    for name, service in COMPOSE["services"].items():
        networks = set(service.get("networks", []))
        assert "backend" in networks, name
        assert networks == {"backend"} or name in PUBLISHED | {"ops-proxy"}, name


def test_kafka_listens_only_with_sasl_ssl_and_enforces_acls() -> None:
    config = properties(KAFKA_PROPERTIES)
    protocols = dict(item.split(":") for item in config["listener.security.protocol.map"].split(","))
    listeners = dict(item.split("://") for item in config["listeners"].split(","))
    assert set(listeners) == {"SASL_SSL", "CONTROLLER"}
    assert protocols == {"SASL_SSL": "SASL_SSL", "CONTROLLER": "SSL"}
    # The controllers reach each other across the network: mutual TLS, the brokers' certificate.
    assert config["listener.name.controller.ssl.client.auth"] == "required"
    assert config["ssl.endpoint.identification.algorithm"] == "https"
    assert config["advertised.listeners"].startswith("SASL_SSL://")
    assert config["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert config["authorizer.class.name"].endswith("StandardAuthorizer")
    assert config["allow.everyone.if.no.acl.found"] == "false"
    assert config["auto.create.topics.enable"] == "false"
    # Only the admin and the nodes' own certificate; nothing unauthenticated (ANONYMOUS) is trusted.
    assert config["super.users"].split(";") == ["User:faio-admin", "User:CN=kafka,O=faio"]


def kafka_nodes() -> dict[str, dict[str, Any]]:
    return {
        name: spec
        for name, spec in COMPOSE["services"].items()
        if spec.get("image", "").startswith("apache/kafka") and name != "kafka-init"
    }


def test_compose_runs_three_kafka_nodes_in_one_quorum_publishing_no_port() -> None:
    nodes = kafka_nodes()
    assert sorted(nodes) == KAFKA_NODES
    voters = set()
    for name, node in nodes.items():
        env = node["environment"]
        assert env["KAFKA_HOST"] == name and not node.get("ports") and node["networks"] == ["backend"]
        voters.add(env["KAFKA_VOTERS"])
        assert f"{env['KAFKA_NODE_ID']}@{name}:9094" in env["KAFKA_VOTERS"].split(",")
        assert env["KAFKA_CLUSTER_ID"] == nodes["kafka-1"]["environment"]["KAFKA_CLUSTER_ID"]
        assert f"{name}-data:/var/lib/kafka/data" in node["volumes"]  # each its own log
        assert node["secrets"] == ["ca.crt", "kafka.pem"]
        assert node["healthcheck"]["test"]
    (quorum,) = voters
    assert len(quorum.split(",")) == 3
    assert set(COMPOSE["services"]["kafka-init"]["depends_on"]) == set(KAFKA_NODES)
    # broker.sh fills every placeholder of server.properties, and three copies, two in sync.
    placeholders = set(re.findall(r"@([A-Z_]+)@", KAFKA_PROPERTIES))
    assert placeholders == set(re.findall(r"s\|@([A-Z_]+)@\|", BROKER_SCRIPT))
    assert "@REPLICAS@|3|" in BROKER_SCRIPT and "@MIN_INSYNC@|2|" in BROKER_SCRIPT
    for key in ("default.replication.factor", "offsets.topic.replication.factor"):
        assert properties(KAFKA_PROPERTIES)[key] == "@REPLICAS@"
    assert properties(KAFKA_PROPERTIES)["min.insync.replicas"] == "@MIN_INSYNC@"


def test_the_broker_certificate_names_every_node() -> None:
    assert set(KAFKA_NODES) <= set(CERT_SERVERS["kafka"])


def test_kafka_init_creates_every_topic_on_three_nodes_with_two_in_sync() -> None:
    created = {}
    for line in (ROOT / "deploy" / "kafka" / "init.sh").read_text().splitlines():
        if "kafka-topics.sh" in line:
            args = shlex.split(line)
            assert args[args.index("--bootstrap-server") + 1].split(",") == [f"{n}:9093" for n in KAFKA_NODES]
            configs = [args[i + 1] for i, arg in enumerate(args) if arg == "--config"]
            created[args[args.index("--topic") + 1]] = (args[args.index("--replication-factor") + 1], configs)
    assert set(created) == {t.name for t in ALL_TOPICS} | {t.dead_letter for t in ALL_TOPICS}
    for name, (replicas, configs) in created.items():
        assert replicas == "3" and "min.insync.replicas=2" in configs, name


@pytest.mark.parametrize("service", KAFKA_SERVICES)
def test_each_service_has_its_own_kafka_credentials(service: str) -> None:
    env = environment(service)
    assert env["FAIO_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["FAIO_KAFKA_SASL_USERNAME"] == user(service)
    assert env["FAIO_KAFKA_SASL_PASSWORD"] == f"${{{password_variable(user(service))}}}"
    assert env["FAIO_KAFKA_SSL_CAFILE"] == "/run/secrets/ca.crt"
    assert "ca.crt" in COMPOSE["services"][service]["secrets"]
    init = COMPOSE["services"]["kafka-init"]["environment"]
    assert password_variable(user(service)) in init


def test_the_workers_have_no_kafka_credentials_at_all() -> None:
    for worker in set(WORKLOADS) - set(KAFKA_SERVICES):
        assert not [name for name in environment(worker) if name.startswith("FAIO_KAFKA")]


def test_temporal_requires_client_certificates_and_keeps_the_namespace_per_environment() -> None:
    temporal = COMPOSE["services"]["temporal"]
    env = temporal["environment"]
    assert env["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    assert env["TEMPORAL_TLS_CLIENT1_CA_CERT"] == "/run/secrets/ca.crt"
    assert {"temporal.crt", "temporal.key", "ca.crt"} <= set(temporal["secrets"])
    assert not temporal.get("ports")
    # temporal-init creates the namespace the services use (auto-setup would need an admin token).
    namespace = environment("temporal-init")["TEMPORAL_NAMESPACE"]
    assert namespace == environment("roadmap")["FAIO_TEMPORAL_NAMESPACE"]
    assert "production" in namespace
    assert env["SKIP_DEFAULT_NAMESPACE_CREATION"] == "true"
    assert COMPOSE["services"]["temporal-ui"]["environment"]["TEMPORAL_TLS_CERT"].endswith("temporal-ui.crt")


@pytest.mark.parametrize("workload", TEMPORAL_WORKLOADS)
def test_each_temporal_client_has_its_own_certificate_and_the_codec_is_on(workload: str) -> None:
    env = environment(workload)
    assert env["FAIO_TEMPORAL_TLS_CLIENT_CERT"] == f"/run/secrets/{workload}.crt"
    assert env["FAIO_TEMPORAL_TLS_CLIENT_KEY"] == f"/run/secrets/{workload}.key"
    assert set(COMPOSE["services"][workload]["secrets"]) == {
        "ca.crt",
        f"{workload}.crt",
        f"{workload}.key",
        f"{workload}.jwt",
    }
    # Required variables (`:?`): compose refuses to start without a codec key.
    assert env["FAIO_TEMPORAL_CODEC_KEY_ID"].startswith("${FAIO_TEMPORAL_CODEC_KEY_ID:?")
    assert env["FAIO_TEMPORAL_CODEC_KEYS"].startswith("${FAIO_TEMPORAL_CODEC_KEYS:?")
    settings = SharedSettings(temporal_codec_key_id="k1", temporal_codec_keys="k1=" + "A" * 43 + "=")
    assert codec_from_settings(settings) is not None  # the settings the variables feed switch it on


def test_the_ca_key_is_mounted_nowhere() -> None:
    assert not [name for name in COMPOSE["secrets"] if name.startswith("ca.key")]
    assert "ca.key" not in (ROOT / "docker-compose.yml").read_text()


# Temporal's authorizer: every call carries a token of faio's offline issuer (deploy/temporal_tokens.py).


def test_temporal_authorizes_each_call_against_the_issuers_internal_jwks() -> None:
    env = environment("temporal")
    assert env["TEMPORAL_AUTH_AUTHORIZER"] == "default"
    assert env["TEMPORAL_AUTH_CLAIM_MAPPER"] == "default"
    # Temporal's own system worker goes through the internal frontend, not the authorized one.
    assert env["USE_INTERNAL_FRONTEND"] == "true" and "internal-frontend" in env["SERVICES"].split(":")
    source = env["TEMPORAL_JWT_KEY_SOURCE1"]
    host, port = source.removeprefix("http://").split("/", 1)[0].split(":")
    jwks = COMPOSE["services"][host]
    assert jwks["networks"] == ["backend"] and not jwks.get("ports")  # internal only
    assert f":{port}" in jwks["command"]
    served = source.rsplit("/", 1)[1]
    assert f"./deploy/secrets/{JWKS_FILE}:/srv/{served}:ro" in jwks["volumes"]
    assert "/srv" in jwks["command"]


@pytest.mark.parametrize("workload", TEMPORAL_WORKLOADS)
def test_every_temporal_client_sends_a_token_of_its_own(workload: str) -> None:
    assert environment(workload)["FAIO_TEMPORAL_TOKEN_FILE"] == f"/run/secrets/{workload}.jwt"
    assert f"{workload}.jwt" in COMPOSE["services"][workload]["secrets"]
    assert COMPOSE["secrets"][f"{workload}.jwt"] == {"file": f"./deploy/secrets/{workload}.jwt"}
    assert workload in NAMESPACE_ROLES  # the issuer makes it one
    assert SharedSettings(temporal_token_file="/run/secrets/x.jwt").temporal_token_file  # a setting


def test_the_ui_calls_temporal_with_its_read_token_and_the_set_up_with_the_admin_one() -> None:
    assert NAMESPACE_ROLES["temporal-ui"] == "read"
    assert COMPOSE["services"]["ops-proxy"]["secrets"] == ["temporal-ui.jwt"]
    ui_site = CADDYFILE.split("http://:8233 {")[1].split("\n}")[0]
    assert 'header_up Authorization "Bearer {file./run/secrets/temporal-ui.jwt}"' in ui_site
    init = COMPOSE["services"]["temporal-init"]
    assert "temporal-init.jwt" in init["secrets"]
    # The admin token is mounted in temporal-init alone.
    holders = [
        name
        for name, service in COMPOSE["services"].items()
        if "temporal-init.jwt" in service.get("secrets", [])
    ]
    assert holders == ["temporal-init"]
    for workload in TEMPORAL_WORKLOADS:
        assert COMPOSE["services"][workload]["depends_on"]["temporal-init"]["condition"] == (
            "service_completed_successfully"
        )


def test_temporal_init_registers_the_search_attributes_the_code_uses() -> None:
    script = (ROOT / "deploy" / "temporal" / "init.sh").read_text()
    listed = re.search(r"for attribute in ([\w ]+); do", script).group(1).split()  # type: ignore[union-attr]
    assert listed == [key.name for key in SEARCH_ATTRIBUTES]
    assert (
        f"./deploy/temporal/init.sh:{COMPOSE['services']['temporal-init']['entrypoint'][-1]}:ro"
        in (COMPOSE["services"]["temporal-init"]["volumes"])
    )


def test_the_token_issuer_key_is_mounted_nowhere() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert KEY_FILE not in text
    assert not [name for name in COMPOSE["secrets"] if "issuer" in name]


def acl_lines() -> dict[str, list[list[str]]]:
    script = (ROOT / "deploy" / "kafka" / "init.sh").read_text()
    grants: dict[str, list[list[str]]] = {}
    for line in script.splitlines():
        if "kafka-acls.sh" in line:
            args = shlex.split(line)
            grants.setdefault(args[args.index("--allow-principal") + 1], []).append(args)
    return grants


def allowed(principal: str, operation: str) -> set[str]:
    """Topics (and `group:<prefix>*`) the init script lets `principal` perform `operation` on."""
    found = set()
    for args in acl_lines().get(f"User:{principal}", []):
        operations = {args[i + 1] for i, arg in enumerate(args) if arg == "--operation"}
        if operation in operations:
            found |= {args[i + 1] for i, arg in enumerate(args) if arg == "--topic"}
            found |= {f"group:{args[i + 1]}*" for i, arg in enumerate(args) if arg == "--group"}
    return found


def test_the_init_script_is_what_the_acl_generator_prints() -> None:
    assert (ROOT / "deploy" / "kafka" / "init.sh").read_text() == init_script()


@pytest.mark.parametrize("service", ACL_SERVICES)
def test_acls_cover_exactly_what_each_service_produces_and_consumes(service: str) -> None:
    topics = service_topics(service)
    revocations = {OFFICER_TOKENS_REVOKED.name} if service != "intake" else set()
    groups = {f"group:faio-{service}.*"} if topics.consumes else set()
    assert allowed(user(service), "Read") == set(topics.consumes) | revocations | groups
    assert allowed(user(service), "Write") == set(topics.produces) | {f"{t}.dlq" for t in topics.consumes}
    assert allowed(user(service), "Describe") == (
        set(topics.consumes) | revocations | set(topics.produces) | {f"{t}.dlq" for t in topics.consumes}
    )


def test_every_topic_has_one_producer_and_a_consumer_and_kafka_users_match() -> None:
    for topic in ALL_TOPICS:
        producers = [service for service in ACL_SERVICES if topic.name in service_topics(service).produces]
        consumers = [service for service in ACL_SERVICES if topic.name in service_topics(service).consumes]
        assert len(producers) == 1, (topic.name, producers)
        assert consumers or topic is OFFICER_TOKENS_REVOKED, topic.name
    assert set(acl_lines()) == {f"User:{name}" for name in kafka_users()}
    assert allowed(OPERATOR, "Read") == {topic.dead_letter for topic in ALL_TOPICS}


def test_only_kpi_writes_partner_activity_and_partners_have_no_kafka_user() -> None:
    # Partners send over HTTP only: the front door keys their staff ids before kpi publishes them.
    # The operator may write it too, to replay a dead letter (which keeps staff ids keyed).
    topic = PARTNER_ACTIVITY.name
    writers = {
        principal for principal in acl_lines() if topic in allowed(principal.removeprefix("User:"), "Write")
    }
    assert writers == {f"User:{user('kpi')}", f"User:{OPERATOR}"}
    assert not [name for name in kafka_users() if "partner" in name]
