from shared.settings import SharedSettings


class RoadmapSettings(SharedSettings):
    service_name: str = "roadmap"
    temporal_task_queue: str = "faio-roadmap"
