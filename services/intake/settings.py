"""Intake's settings: the shared ones plus where the command line finds the service."""

from shared.settings import SharedSettings


class IntakeSettings(SharedSettings):
    service_name: str = "intake"
    http_port: int = 8001
    # Where `faio clinic ...` and `faio assessment ...` send their requests (FAIO_INTAKE_URL).
    intake_url: str = "http://127.0.0.1:8001"
