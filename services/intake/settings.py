from shared.settings import SharedSettings


class IntakeSettings(SharedSettings):
    service_name: str = "intake"
    http_port: int = 8001
