from shared.settings import SharedSettings


class RoadmapSettings(SharedSettings):
    service_name: str = "roadmap"
    temporal_task_queue: str = "faio-roadmap"
    # The buy-in survey refuses answers sent sooner after the form was shown (a bot, not a person).
    survey_min_fill_seconds: float = 8.0
    # Where staff open a survey link: the portal's public address (its /survey/<token> page).
    portal_public_url: str = "http://127.0.0.1:8005"
