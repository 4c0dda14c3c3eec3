from shared.settings import SharedSettings


class AuditSettings(SharedSettings):
    service_name: str = "audit"
    # The audit worker (`python -m services.audit.worker`) polls this queue for window timers.
    temporal_task_queue: str = "faio-audit"
    # Largest CSV import accepted in one request; bigger files are split by the practice.
    max_import_bytes: int = 20 * 1024 * 1024
    # Where the command line finds this service (`faio audit import`).
    audit_url: str = "http://127.0.0.1:8002"
    # Where staff open their task-log links: {portal_url}/t/<token>.
    portal_url: str = "http://127.0.0.1:8005"
