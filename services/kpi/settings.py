from shared.settings import SharedSettings


class KpiSettings(SharedSettings):
    service_name: str = "kpi"
    http_port: int = 8004
