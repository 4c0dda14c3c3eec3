"""Every Kafka topic faio uses, in one place. Topics are created explicitly; auto-create is off."""

from dataclasses import dataclass

# Parked events are kept long enough to be looked at and replayed, not forever (they may hold
# whatever a partner sent by mistake).
DEAD_LETTER_RETENTION_MS = 30 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int = 3
    # A compacted topic keeps the latest record per key for good (e.g. each officer's latest
    # token revocation, read from the beginning by every service at start-up).
    compacted: bool = False

    @property
    def configs(self) -> dict[str, str]:
        return {"cleanup.policy": "compact"} if self.compacted else {}

    @property
    def dead_letter(self) -> str:
        return f"{self.name}.dlq"


CLINIC_REGISTERED = Topic("intake.clinic.registered.v1")
ASSESSMENT_COMPLETED = Topic("intake.assessment.completed.v1")
CLINIC_UPDATED = Topic("intake.clinic.updated.v1")
CLINIC_ARCHIVED = Topic("intake.clinic.archived.v1")
OFFICER_TOKENS_REVOKED = Topic("intake.officer.tokens-revoked.v1", compacted=True)
AUDIT_COMPLETED = Topic("audit.audit.completed.v1")
AUDIT_OPENED = Topic("audit.audit.opened.v1")
INITIATIVE_APPROVED = Topic("roadmap.initiative.approved.v1")
PLAN_PHASE_CHANGED = Topic("roadmap.plan.phase-changed.v1")
INITIATIVE_PROPOSED = Topic("roadmap.initiative.proposed.v1")
PLAN_NOTICE_RAISED = Topic("roadmap.plan.notice-raised.v1")
PARTNER_ACTIVITY = Topic("partner.activity.v1", partitions=6)
KPI_SNAPSHOT = Topic("kpi.snapshot.v1")
KPI_ALERT = Topic("kpi.alert.v1")
KPI_CLINIC_ACTIVITY = Topic("kpi.clinic.activity.v1")
PLAN_BUY_IN_CHANGED = Topic("roadmap.plan.buy-in-changed.v1")
PLAN_TARGET_SET = Topic("roadmap.plan.target-set.v1")

ALL_TOPICS: tuple[Topic, ...] = (
    CLINIC_REGISTERED,
    ASSESSMENT_COMPLETED,
    CLINIC_UPDATED,
    CLINIC_ARCHIVED,
    OFFICER_TOKENS_REVOKED,
    AUDIT_COMPLETED,
    AUDIT_OPENED,
    INITIATIVE_APPROVED,
    PLAN_PHASE_CHANGED,
    INITIATIVE_PROPOSED,
    PLAN_NOTICE_RAISED,
    PARTNER_ACTIVITY,
    KPI_SNAPSHOT,
    KPI_ALERT,
    KPI_CLINIC_ACTIVITY,
    PLAN_BUY_IN_CHANGED,
    PLAN_TARGET_SET,
)


def topic_configs() -> dict[str, dict[str, str]]:
    """The non-default settings of every topic and dead-letter topic that has some."""
    configs = {topic.name: topic.configs for topic in ALL_TOPICS if topic.configs}
    for topic in ALL_TOPICS:
        configs[topic.dead_letter] = {"retention.ms": str(DEAD_LETTER_RETENTION_MS)}
    return configs


def all_topic_names() -> dict[str, int]:
    """Every topic and its dead-letter topic, with its partition count."""
    names: dict[str, int] = {}
    for topic in ALL_TOPICS:
        names[topic.name] = topic.partitions
        names[topic.dead_letter] = 1
    return names
