"""Events the intake service publishes."""

from uuid import UUID

from pydantic import Field

from shared import topics
from shared.events.envelope import EventBody


class StaffRole(EventBody):
    """How many people in one role, and what an hour of their time costs."""

    role: str = Field(min_length=1, max_length=60)
    headcount: int = Field(ge=0)
    hourly_cost: float = Field(ge=0)


class ClinicRegistered(EventBody):
    """A clinic joined an officer's portfolio."""

    topic = topics.CLINIC_REGISTERED

    clinic_id: UUID
    officer_id: str
    name: str
    specialty: str
    locations: int = Field(ge=1)
    staff: list[StaffRole] = []
    systems: dict[str, str] = Field(
        default_factory=dict, description="kind of system (emr, phone, ...) -> vendor name"
    )
