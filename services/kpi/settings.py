from shared.settings import SharedSettings


class KpiSettings(SharedSettings):
    service_name: str = "kpi"
    http_port: int = 8004

    # Partner activity is consumed in batches: up to this many records, or whatever arrived
    # within the timeout, per transaction and offset commit. A cap, not a quota: a consumer
    # that keeps up gets small batches (low delay); one with a backlog gets large ones, which
    # share their upserts (many events of one clinic and day) and their commit's fsync.
    # aiokafka's default fetch sizes (1 MB a partition, a few thousand records) fill such
    # batches from a backlog without tuning.
    activity_batch_size: int = 5000
    activity_batch_timeout_ms: int = 100
    # How often the service looks for completed ISO weeks to snapshot and alerts to raise
    # (0 turns the periodic task off; POST /v1/clinics/{id}/kpis/evaluate still works).
    evaluation_interval_seconds: float = 3600.0
