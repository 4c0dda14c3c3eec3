"""Configuration shared by every service, read from `FAIO_*` environment variables."""

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Everything generated locally (databases, traces, Kafka data) lives under one ignored folder.
LOCAL_DIR = Path(__file__).resolve().parent.parent / ".local"

DEV_SECRET = "faio-development-secret-change-me"  # noqa: S105 - refused outside development
DEV_PSEUDONYM_SECRET = "faio-development-pseudonyms-change-me"  # noqa: S105 - refused outside development


class SharedSettings(BaseSettings):
    """Settings every service has; each service subclasses it with its name (uvicorn takes the port)."""

    model_config = SettingsConfigDict(env_prefix="FAIO_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    service_name: str = "faio"

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"

    # Kafka security (shared/broker.py): PLAINTEXT for `make run` and the tests; a deployment sets
    # SASL_SSL with SCRAM-SHA-512, each service its own user (deploy/kafka/acls.py grants its topics).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    # The CA that signed the brokers' certificates (PEM); empty: the system's trusted CAs.
    kafka_ssl_cafile: str = ""
    # Whether the service creates missing topics at start; off where an admin job creates them
    # (a service's Kafka user may not create topics).
    kafka_create_topics: bool = True

    # Temporal over mutual TLS (shared/temporal.py): the CA of the server's certificate and this
    # process's client certificate and key, PEM files. Off while temporal_tls_client_cert is empty.
    temporal_tls_ca_cert: str = ""
    temporal_tls_client_cert: str = ""
    temporal_tls_client_key: str = ""
    temporal_tls_server_name: str = ""
    # This process's bearer token for Temporal's authorizer (shared/temporal_token.py), a file
    # re-read when it changes. Empty: no token (the dev server and `make run` have no authorizer).
    temporal_token_file: str = ""
    # Payload encryption (shared/temporal_codec.py): `id=base64 key` pairs, comma-separated; the
    # current id encrypts, the others only decrypt (workflows started before a rotation). Empty: off.
    temporal_codec_key_id: str = ""
    temporal_codec_keys: SecretStr = SecretStr("")

    # Empty means one SQLite file per service under .local/data.
    database_url: str = ""

    # OTLP/HTTP endpoint (e.g. http://collector:4318); empty means spans go to a JSON-lines file.
    otel_exporter_otlp_endpoint: str = ""
    traces_dir: Path = LOCAL_DIR / "traces"

    # Officer tokens: HS256 signed with secret_key by `faio officer create`, or, when
    # jwks_url is set, RS256/ES256 tokens of a real identity provider checked against its keys.
    secret_key: str = DEV_SECRET
    jwt_issuer: str = "faio"
    jwt_audience: str = "faio"
    jwks_url: str = ""
    token_lifetime_days: int = 365

    # The deployment secret each clinic's staff-pseudonym key is derived from (shared.pseudonyms).
    # Every service has the same one (the pilot group must meet the partner's events); its own secret,
    # not secret_key, so rotating token keys leaves pseudonyms as they are. Changing it re-keys every
    # pseudonym: stored ones no longer match new events.
    pseudonym_secret: str = DEV_PSEUDONYM_SECRET

    # Where a Temporal worker process serves its Prometheus metrics (`/metrics`).
    worker_metrics_address: str = "127.0.0.1:9464"

    # Largest HTTP request body (bytes) unless a route sets its own (audit's CSV import).
    max_request_bytes: int = 1024 * 1024

    # The proxies whose X-Forwarded-For names the client (addresses or networks, comma-separated):
    # a reverse proxy in front of the portal; at intake, audit and roadmap, the portal, which passes
    # on who opened a public form. Empty: none, the connecting address is the client. Run uvicorn
    # with --no-proxy-headers, so that this setting alone decides (uvicorn trusts loopback).
    forwarded_allow_ips: str = ""
    # Each client's budget on each public route (/v1/public/...), whatever link it holds.
    public_requests_per_client: str = "60/minute"

    # How many times a consumer retries a failing event before dead-lettering it.
    consumer_max_attempts: int = 3
    outbox_poll_seconds: float = 0.5

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as error:
                raise ValueError(
                    f"FAIO_FORWARDED_ALLOW_IPS: {item!r} is not an address or a network"
                ) from error
        return value

    @model_validator(mode="after")
    def _kafka_credentials_with_sasl(self) -> "SharedSettings":
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()
        ):
            raise ValueError(
                "FAIO_KAFKA_SASL_USERNAME and FAIO_KAFKA_SASL_PASSWORD must be set with SASL_SSL"
            )
        return self

    @property
    def trusted_proxies(self) -> list[str]:
        return [part.strip() for part in self.forwarded_allow_ips.split(",") if part.strip()]

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> "SharedSettings":
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("FAIO_SECRET_KEY must be set in production")
        if self.environment == "production" and self.pseudonym_secret in ("", DEV_PSEUDONYM_SECRET):
            raise ValueError("FAIO_PSEUDONYM_SECRET must be set in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        data_dir = LOCAL_DIR / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{data_dir / self.service_name}.db"

    @property
    def consumer_group(self) -> str:
        return f"faio-{self.service_name}"
