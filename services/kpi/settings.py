from shared.settings import SharedSettings


class KpiSettings(SharedSettings):
    service_name: str = "kpi"
    http_port: int = 8004

    # Partner activity is consumed in batches: up to this many records, or whatever arrived
    # within the timeout, per transaction and offset commit.
    activity_batch_size: int = 1000
    activity_batch_timeout_ms: int = 100
    # How often the service looks for completed ISO weeks to snapshot and alerts to raise
    # (0 turns the periodic task off; POST /v1/clinics/{id}/kpis/evaluate still works).
    evaluation_interval_seconds: float = 3600.0
