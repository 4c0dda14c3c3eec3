from shared.settings import SharedSettings


class AuditSettings(SharedSettings):
    service_name: str = "audit"
    http_port: int = 8002
