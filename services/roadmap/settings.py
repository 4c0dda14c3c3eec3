from shared.settings import SharedSettings


class RoadmapSettings(SharedSettings):
    service_name: str = "roadmap"
    http_port: int = 8003
    temporal_task_queue: str = "faio-roadmap"
