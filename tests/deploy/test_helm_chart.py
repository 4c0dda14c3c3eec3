"""deploy/helm/faio renders (`helm template`) into a deployment that survives a drain and runs as no root.

Helm is the one `make helm` builds from the Go module proxy into .local/bin (a prerequisite of
`make test`). The processes are docker-compose.yml's own: the chart must run each with the same
command, so a process added there and forgotten here fails.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.helm import kafka_access
from deploy.temporal_tokens import KEY_FILE
from shared import topics

ROOT = Path(__file__).parents[2]
HELM = ROOT / ".local" / "bin" / "helm"
CHART = ROOT / "deploy" / "helm" / "faio"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# The faio processes in compose: those built from the repository's image.
PROCESSES = {name: spec for name, spec in COMPOSE["services"].items() if "build" in spec}
SECRET_WORDS = ("SECRET", "PASSWORD", "KEYS", "DATABASE_URL")


def render(*settings: str) -> list[dict[str, Any]]:
    if not HELM.exists():
        pytest.fail(f"{HELM} is missing: `make helm` builds it")
    args = [str(HELM), "template", "faio", str(CHART)]
    for setting in settings:
        args += ["--set", setting]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return render()


def of_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in manifests if doc["kind"] == kind}


def deployments(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each Deployment by its process (app.kubernetes.io/component)."""
    return {
        doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc
        for doc in of_kind(manifests, "Deployment").values()
    }


def containers(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, deployment in deployments(manifests).items():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            yield name, pod, container


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_every_compose_process_runs_with_its_compose_command(manifests: list[dict[str, Any]]) -> None:
    by_process = deployments(manifests)
    assert set(by_process) == set(PROCESSES)
    for name, spec in PROCESSES.items():
        (container,) = by_process[name]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == spec["command"], name


def test_every_process_has_readiness_liveness_and_startup_probes(manifests: list[dict[str, Any]]) -> None:
    for name, _, container in containers(manifests):
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["port"] in ports, (name, probe)
        if "uvicorn" in container["command"]:
            # The apps' own endpoint (shared/app.py), served once started. Never /readyz, which
            # checks the Kafka every replica shares: an outage the outbox rides out would take
            # every replica out of its Service.
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                assert container[probe]["httpGet"]["path"] == "/healthz", (name, probe)
        else:
            # A worker's only endpoint: the Temporal SDK's metrics, served while the worker runs.
            assert container["livenessProbe"]["httpGet"]["path"] == "/metrics"


def test_every_container_requests_cpu_and_memory_and_is_capped_in_memory(
    manifests: list[dict[str, Any]],
) -> None:
    for name, _, container in containers(manifests):
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), name
        assert "memory" in resources["limits"], name


def test_a_drain_leaves_a_replica_of_every_process(manifests: list[dict[str, Any]]) -> None:
    budgets = list(of_kind(manifests, "PodDisruptionBudget").values())
    for name, deployment in deployments(manifests).items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        (budget,) = [b for b in budgets if matches(b["spec"]["selector"]["matchLabels"], labels)]
        assert budget["spec"]["maxUnavailable"] < deployment["spec"]["replicas"], name
        assert deployment["spec"]["replicas"] >= 2, name


@pytest.mark.parametrize(("mode", "rule"), [("soft", "preferred"), ("hard", "required")])
def test_replicas_of_a_process_are_kept_off_one_node(mode: str, rule: str) -> None:
    for name, deployment in deployments(render(f"antiAffinity={mode}")).items():
        pod = deployment["spec"]["template"]
        terms = pod["spec"]["affinity"]["podAntiAffinity"][f"{rule}DuringSchedulingIgnoredDuringExecution"]
        term = terms[0].get("podAffinityTerm", terms[0])
        assert term["topologyKey"] == "kubernetes.io/hostname", name
        assert matches(term["labelSelector"]["matchLabels"], pod["metadata"]["labels"]), name
        # The selector names this process, not every faio pod (which would spread nothing well).
        assert term["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == name


def test_no_process_runs_as_root_or_writes_its_image(manifests: list[dict[str, Any]]) -> None:
    for name, pod, container in containers(manifests):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        assert pod["automountServiceAccountToken"] is False, name


def test_images_are_pinned(manifests: list[dict[str, Any]]) -> None:
    for name, _, container in containers(manifests):
        tag = container["image"].rsplit(":", 1)[1]
        assert tag and tag != "latest" and "/" not in tag, name
    digest = "sha256:" + "0" * 64
    for _, _, container in containers(render(f"image.digest={digest}")):
        assert container["image"].endswith(f"@{digest}")


@pytest.mark.parametrize("tag", ["latest", "", "null"])
def test_an_unpinned_tag_is_refused(tag: str) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        render(f"image.tag={tag}")
    assert "image.tag must pin a release" in refused.value.stderr


def test_each_http_app_has_a_service_on_its_port(manifests: list[dict[str, Any]]) -> None:
    services = of_kind(manifests, "Service")
    apps = {name: spec for name, spec in PROCESSES.items() if spec["command"][0] == "uvicorn"}
    assert len(services) == len(apps)
    for name, deployment in deployments(manifests).items():
        if name not in apps:
            continue
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        (service,) = [s for s in services.values() if matches(s["spec"]["selector"], labels)]
        port = int(apps[name]["command"][apps[name]["command"].index("--port") + 1])
        assert service["spec"]["ports"][0]["port"] == port


def test_the_portal_calls_the_other_apps_by_their_services(manifests: list[dict[str, Any]]) -> None:
    services = {name: doc["spec"]["ports"][0]["port"] for name, doc in of_kind(manifests, "Service").items()}
    (portal,) = deployments(manifests)["portal"]["spec"]["template"]["spec"]["containers"]
    urls = {
        env["name"]: env["value"] for env in portal["env"] if env["name"].endswith("_URL") and "value" in env
    }
    for other in ("intake", "audit", "roadmap", "kpi"):
        host, port = urls[f"FAIO_{other.upper()}_URL"].removeprefix("http://").split(":")
        assert services[host] == int(port)


def test_credentials_are_referenced_never_written(manifests: list[dict[str, Any]]) -> None:
    assert not of_kind(manifests, "Secret")
    for name, _, container in containers(manifests):
        for env in container["env"]:
            if any(word in env["name"] for word in SECRET_WORDS):
                assert "secretKeyRef" in env.get("valueFrom", {}), (name, env["name"])


def test_kafka_is_three_kraft_brokers_behind_tls_and_scram(manifests: list[dict[str, Any]]) -> None:
    (pool,) = of_kind(manifests, "KafkaNodePool").values()
    assert pool["spec"]["replicas"] == 3
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    (kafka,) = of_kind(manifests, "Kafka").values()
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True
    assert listener["authentication"]["type"] == "scram-sha-512"
    config = kafka["spec"]["kafka"]["config"]
    assert config["min.insync.replicas"] == 2 and config["default.replication.factor"] == 3


def test_every_registry_topic_is_a_kafka_topic(manifests: list[dict[str, Any]]) -> None:
    declared = {doc["spec"]["topicName"]: doc["spec"] for doc in of_kind(manifests, "KafkaTopic").values()}
    assert {name: spec["partitions"] for name, spec in declared.items()} == topics.all_topic_names()
    assert all(spec["replicas"] == 3 for spec in declared.values())


def test_each_service_may_touch_only_its_own_topics(manifests: list[dict[str, Any]]) -> None:
    users = of_kind(manifests, "KafkaUser")
    expected = kafka_access.kafka_access()["users"]
    assert set(users) == {f"faio-{service}" for service in expected}
    for service, access in expected.items():
        acls = users[f"faio-{service}"]["spec"]["authorization"]["acls"]
        granted = {
            (acl["resource"]["name"], operation)
            for acl in acls
            if acl["resource"]["type"] == "topic"
            for operation in acl["operations"]
        }
        assert {name for name, op in granted if op == "Write"} == set(access["writes"]), service
        assert {name for name, op in granted if op == "Read"} == set(access["reads"]), service
        groups = [acl["resource"] for acl in acls if acl["resource"]["type"] == "group"]
        assert groups == [{"type": "group", "name": f"faio-{service}.", "patternType": "prefix"}]
    # The portal only reads events: it publishes nothing but its dead letters.
    assert all(name.endswith(".dlq") for name in expected["portal"]["writes"])
    # Partners send over HTTP only: kpi alone writes their topic, after keying staff ids.
    assert [service for service, access in expected.items() if "partner.activity.v1" in access["writes"]] == [
        "kpi"
    ]


def test_the_committed_kafka_access_is_what_the_code_says() -> None:
    assert kafka_access.OUT.read_text() == kafka_access.render(), "rerun `python -m deploy.helm.kafka_access`"


def test_the_pod_monitor_scrapes_every_process_under_its_slo_service_label() -> None:
    manifests = render("monitoring.podMonitor=true")
    (monitor,) = of_kind(manifests, "PodMonitor").values()
    endpoints = monitor["spec"]["podMetricsEndpoints"]
    for name, deployment in deployments(manifests).items():
        pod = deployment["spec"]["template"]
        assert matches(monitor["spec"]["selector"]["matchLabels"], pod["metadata"]["labels"]), name
        (container,) = pod["spec"]["containers"]
        assert {port["name"] for port in container["ports"]} & {e["port"] for e in endpoints}, name
    for endpoint in endpoints:
        (relabel,) = endpoint["relabelings"]
        # deploy/prometheus/slos.yaml selects events by service="kpi", service="portal".
        assert relabel == {
            "sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_component"],
            "targetLabel": "service",
        }


def test_each_temporal_client_mounts_a_token_secret_of_its_own() -> None:
    # The processes compose gives a Temporal token to: the chart must give each its own Secret.
    clients = {name for name, spec in PROCESSES.items() if "FAIO_TEMPORAL_TOKEN_FILE" in spec["environment"]}
    assert clients == {"audit", "roadmap", "audit-worker", "roadmap-worker"}
    manifests = render("temporal.tokenSecretPrefix=faio-temporal-token-")
    assert not of_kind(manifests, "Secret")  # referenced, never written
    for name, pod, container in containers(manifests):
        env = {item["name"]: item.get("value") for item in container["env"]}
        tokens = [v for v in pod["volumes"] if v["name"] == "temporal-token"]
        if name not in clients:
            assert "FAIO_TEMPORAL_TOKEN_FILE" not in env and not tokens, name
            continue
        (volume,) = tokens
        assert volume["secret"]["secretName"] == f"faio-temporal-token-{name}"
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "temporal-token"]
        # A whole directory: a subPath mount would never see the re-issued token.
        assert "subPath" not in mount
        item = volume["secret"]["items"][0]
        assert env["FAIO_TEMPORAL_TOKEN_FILE"] == f"{mount['mountPath']}/{item['path']}"
    # The key that signs the tokens stays offline: nothing in the chart refers to it.
    rendered = yaml.safe_dump_all(manifests)
    assert KEY_FILE not in rendered and "issuer" not in rendered


def test_no_token_is_mounted_while_the_authorizer_is_off(manifests: list[dict[str, Any]]) -> None:
    for name, pod, container in containers(manifests):
        assert "FAIO_TEMPORAL_TOKEN_FILE" not in {item["name"] for item in container["env"]}, name
        assert "temporal-token" not in {volume["name"] for volume in pod["volumes"]}, name
