"""The distributed suite (`make test-cluster`): three Kafka brokers, PostgreSQL and replicas of the
services as real processes, killed with SIGKILL under load. Minutes of a small machine's time, so
plain `pytest` (and `make test`) leaves it out: it is collected only with FAIO_TEST_CLUSTER=1."""

import os
from collections.abc import Iterator

import pytest

from deploy.local.kafka import KafkaCluster
from shared.broker import ensure_topics

collect_ignore_glob = [] if os.environ.get("FAIO_TEST_CLUSTER") == "1" else ["test_*.py"]


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    with KafkaCluster(tmp_path_factory.mktemp("kafka-cluster"), size=3) as cluster:
        yield cluster


@pytest.fixture(scope="session")
async def cluster(kafka_cluster: KafkaCluster) -> KafkaCluster:
    """The three-broker cluster with every registry topic created (replication factor 3)."""
    await ensure_topics(kafka_cluster.bootstrap)
    return kafka_cluster
