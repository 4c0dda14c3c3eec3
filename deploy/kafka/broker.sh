#!/bin/sh
# The compose broker: fill deploy/kafka/server.properties, format the storage once with the admin's
# SCRAM credential (KRaft needs it before the first start), then run. The password must be
# [A-Za-z0-9] (docs/runbook.md generates it with `openssl rand -hex 32`).
set -eu
properties=/tmp/server.properties
sed -e "s|@LISTEN_HOST@||" -e "s|@ADVERTISED_HOST@|kafka|" -e "s|@PORT@|9093|g" \
    -e "s|@CONTROLLER_PORT@|9094|g" -e "s|@SECRETS@|/run/secrets|g" \
    -e "s|@DATA_DIR@|/var/lib/kafka/data|" -e "s|@ADMIN_PASSWORD@|${FAIO_KAFKA_PASSWORD_ADMIN:?}|" \
    /etc/kafka/faio/server.properties > "$properties"
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --standalone -t "${KAFKA_CLUSTER_ID:?}" -c "$properties" \
    --add-scram "SCRAM-SHA-512=[name=faio-admin,password=${FAIO_KAFKA_PASSWORD_ADMIN}]"
exec /opt/kafka/bin/kafka-server-start.sh "$properties"
