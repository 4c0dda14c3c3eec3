#!/bin/sh
# A compose broker (kafka-1, kafka-2, kafka-3: KAFKA_NODE_ID, KAFKA_HOST, KAFKA_VOTERS): fill
# deploy/kafka/server.properties, format the storage once with the cluster id and the admin's SCRAM
# credential (KRaft needs both before the first start; every node the same), then run. The password
# must be [A-Za-z0-9] (docs/runbook.md generates it with `openssl rand -hex 32`).
set -eu
properties=/tmp/server.properties
sed -e "s|@NODE_ID@|${KAFKA_NODE_ID:?}|" -e "s|@VOTERS@|${KAFKA_VOTERS:?}|" \
    -e "s|@LISTEN_HOST@||g" -e "s|@ADVERTISED_HOST@|${KAFKA_HOST:?}|" -e "s|@PORT@|9093|g" \
    -e "s|@CONTROLLER_PORT@|9094|g" -e "s|@SECRETS@|/run/secrets|g" \
    -e "s|@REPLICAS@|3|g" -e "s|@MIN_INSYNC@|2|g" \
    -e "s|@DATA_DIR@|/var/lib/kafka/data|" -e "s|@ADMIN_PASSWORD@|${FAIO_KAFKA_PASSWORD_ADMIN:?}|" \
    /etc/kafka/faio/server.properties > "$properties"
# The admin's client settings, for the healthcheck and an operator's `docker compose exec`.
cat > /tmp/admin.properties <<CONFIG
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="faio-admin" password="${FAIO_KAFKA_PASSWORD_ADMIN}";
ssl.truststore.type=PEM
ssl.truststore.location=/run/secrets/ca.crt
CONFIG
chmod 600 "$properties" /tmp/admin.properties
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "${KAFKA_CLUSTER_ID:?}" -c "$properties" \
    --add-scram "SCRAM-SHA-512=[name=faio-admin,password=${FAIO_KAFKA_PASSWORD_ADMIN}]"
exec /opt/kafka/bin/kafka-server-start.sh "$properties"
