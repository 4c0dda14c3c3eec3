"""The distributed suite (`make test-cluster`): three Kafka brokers, PostgreSQL and replicas of the
services as real processes, killed with SIGKILL under load. Minutes of a small machine's time, so
plain `pytest` (and `make test`) leaves it out: it is collected only with FAIO_TEST_CLUSTER=1."""

import os
from collections.abc import Iterator

import pytest

from deploy.local.kafka import KafkaCluster
from shared.broker import ensure_topics
from tests.cluster import partition

collect_ignore_glob = [] if os.environ.get("FAIO_TEST_CLUSTER") == "1" else ["test_*.py"]


@pytest.fixture(scope="session")
def namespace() -> Iterator[partition.NetworkNamespace | None]:
    """The last broker's own network namespace, or None where this machine allows none (not root)."""
    if not partition.available():
        yield None
        return
    isolated = partition.NetworkNamespace()
    isolated.create()
    try:
        yield isolated
    finally:
        isolated.delete()


@pytest.fixture(scope="session")
def kafka_cluster(
    tmp_path_factory: pytest.TempPathFactory, namespace: partition.NetworkNamespace | None
) -> Iterator[KafkaCluster]:
    """Three nodes; with a namespace, the third runs in it and the others listen where it reaches them."""
    data = tmp_path_factory.mktemp("kafka-cluster")
    if namespace is None:
        with KafkaCluster(data, size=3) as cluster:
            yield cluster
        return
    hosts = [partition.HOST_ADDRESS, partition.HOST_ADDRESS, partition.NAMESPACE_ADDRESS]
    with KafkaCluster(
        data, size=3, hosts=hosts, command_prefixes=[(), (), namespace.command_prefix]
    ) as cluster:
        yield cluster


@pytest.fixture(scope="session")
async def cluster(kafka_cluster: KafkaCluster) -> KafkaCluster:
    """The three-broker cluster with every registry topic created (replication factor 3)."""
    await ensure_topics(kafka_cluster.bootstrap)
    return kafka_cluster
