from functools import cached_property

from cryptography.fernet import Fernet, MultiFernet
from pydantic import model_validator

from shared.settings import SharedSettings

# A fixed Fernet key for development and tests only; refused in production.
DEV_PARTNER_SECRETS_KEY = "g70CpsQj2vlLOvGrsj5ixNRbed97VYWzBfmDTaEKAjw="


class KpiSettings(SharedSettings):
    service_name: str = "kpi"

    # Partner activity is consumed in batches: up to this many records, or whatever arrived
    # within the timeout, per transaction and offset commit. A cap, not a quota: a consumer
    # that keeps up gets small batches (low delay); one with a backlog gets large ones, which
    # share their upserts (many events of one clinic and day) and their commit's fsync.
    # aiokafka's default fetch sizes (1 MB a partition, a few thousand records) fill such
    # batches from a backlog without tuning. 10,000 rather than 5,000: about 15 % more events
    # a second draining a backlog, for about 40 MB more memory (tests/bench/bench_kpi.py).
    activity_batch_size: int = 10_000
    activity_batch_timeout_ms: int = 100
    # How often the service looks for completed ISO weeks to snapshot and alerts to raise
    # (0 turns the periodic task off; POST /v1/clinics/{id}/kpis/evaluate still works).
    evaluation_interval_seconds: float = 3600.0

    # How many partner batches (POST /v1/partner-events) one process takes in at once; the next
    # is answered 429 with Retry-After. Eight batches of 1,000 are about half a second of work.
    partner_batches_in_flight: int = 8

    # Fernet keys that encrypt partners' webhook signing secrets at rest, comma-separated: the
    # first encrypts, any of them decrypts (to rotate, put a new key first and keep the old).
    # Separate from FAIO_SECRET_KEY on purpose: rotating the officers' token key must not
    # invalidate every partner's secret.
    partner_secrets_keys: str = DEV_PARTNER_SECRETS_KEY

    @cached_property  # built once, by the check below at start-up
    def partner_secrets(self) -> MultiFernet:
        return MultiFernet(
            [Fernet(key.strip()) for key in self.partner_secrets_keys.split(",") if key.strip()]
        )

    @model_validator(mode="after")
    def _check_partner_secrets_keys(self) -> "KpiSettings":
        how = (
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'"
        )
        if self.environment == "production" and DEV_PARTNER_SECRETS_KEY in self.partner_secrets_keys:
            raise ValueError(f"FAIO_PARTNER_SECRETS_KEYS must be set in production; {how}")
        try:
            self.partner_secrets  # noqa: B018 - built once here so that a bad key fails at start-up
        except ValueError as error:
            raise ValueError(
                f"FAIO_PARTNER_SECRETS_KEYS holds a key that is not a Fernet key; {how}"
            ) from error
        return self
