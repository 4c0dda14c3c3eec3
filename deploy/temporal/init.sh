#!/bin/sh
# faio's namespace and search attributes, as the temporal-init process, then exits. Under the
# authorizer only an admin may create them, and its token (temporal-system:admin) is mounted here
# alone: the services and workers hold `write` on the namespace. Idempotent: runs on every `up`.
#
# Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_RETENTION (default 24h, as auto-setup
# had), TEMPORAL_TLS_SERVER_NAME, FAIO_SECRETS_DIR (ca.crt, temporal-init.crt/.key/.jwt).
# The search attributes are shared/temporal.py's SEARCH_ATTRIBUTES (tests/unit/test_compose.py).
set -eu

secrets="${FAIO_SECRETS_DIR:-/run/secrets}"
namespace="${TEMPORAL_NAMESPACE:?set TEMPORAL_NAMESPACE}"
TEMPORAL_API_KEY="$(cat "$secrets/temporal-init.jwt")"
export TEMPORAL_API_KEY

cli() {
  temporal "$@" \
    --address "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS}" \
    --tls-ca-path "$secrets/ca.crt" \
    --tls-cert-path "$secrets/temporal-init.crt" \
    --tls-key-path "$secrets/temporal-init.key" \
    --tls-server-name "${TEMPORAL_TLS_SERVER_NAME:-temporal}"
}

until cli operator cluster health >/dev/null 2>&1; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
done

if ! cli operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  cli operator namespace create --namespace "$namespace" --retention "${TEMPORAL_RETENTION:-24h}"
fi

# A new namespace takes a moment to reach every frontend's cache.
until existing="$(cli operator search-attribute list --namespace "$namespace")"; do
  sleep 1
done
for attribute in FaioClinicId FaioOfficerId FaioPlanPhase FaioKpi; do
  case "$existing" in
    *"$attribute"*) ;;
    *) cli operator search-attribute create --namespace "$namespace" --name "$attribute" --type Keyword ;;
  esac
done
echo "namespace $namespace and its search attributes are in place"
