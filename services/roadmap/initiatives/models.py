"""An initiative as the officer sees it, and the officer's approval (the tables are in ../models.py)."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, computed_field, field_validator, model_validator
from pydantic import Field as PydanticField

from services.roadmap.models import InitiativeBase
from services.roadmap.plans.models import BaselineIn
from shared.free_text import FreeText
from shared.pseudonyms import StaffPseudonym


class InitiativePublic(InitiativeBase):
    """An initiative as the officer sees it."""

    id: UUID
    status: str
    owner: str
    target_change_pct: float | None
    pilot_group: list[str]
    phase_days: dict[str, float]
    plan_id: str | None
    approved_at: datetime | None
    review: dict[str, Any]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dollars_saved_per_week(self) -> float:
        """Hours saved x the loaded hourly cost the audit measured (the impact the ranking uses)."""
        return self.impact_per_week

    @computed_field  # type: ignore[prop-decorator]
    @property
    def hours_saved_per_week(self) -> float:
        hourly = self.cost_per_week / self.hours_per_week if self.hours_per_week > 0 else 0.0
        return round(self.impact_per_week / hourly, 2) if hourly else 0.0


class InitiativeList(BaseModel):
    """A clinic's initiatives, best first, and what is still missing to propose them."""

    clinic_id: UUID
    waiting_for: list[str]
    recommended_id: UUID | None
    recommendation: str
    initiatives: list[InitiativePublic]


class PhaseLengths(BaseModel):
    """Phase lengths in days (fractions allowed, for rehearsals and tests)."""

    model_config = ConfigDict(extra="forbid")

    baseline: float = PydanticField(default=14, gt=0, le=365)
    preparation: float = PydanticField(default=14, gt=0, le=365)
    pilot: float = PydanticField(default=42, gt=0, le=365)
    rollout: float = PydanticField(default=56, gt=0, le=365)
    sustain: float = PydanticField(default=84, gt=0, le=730)


class ToolCostIn(BaseModel):
    """What the tool costs: subscription per month, per user and month, per unit used, and set-up."""

    model_config = ConfigDict(extra="forbid")

    monthly: float = PydanticField(default=0, ge=0, le=1_000_000, allow_inf_nan=False)
    per_user_monthly: float = PydanticField(default=0, ge=0, le=100_000, allow_inf_nan=False)
    users: int = PydanticField(
        default=0, ge=0, le=10_000, description="users at rollout (the pilot group is their share)"
    )
    setup: float = PydanticField(default=0, ge=0, le=10_000_000, allow_inf_nan=False)
    per_unit: float = PydanticField(
        default=0,
        ge=0,
        le=10_000,
        allow_inf_nan=False,
        description="a usage price: per minute, per encounter",
    )
    units_per_month: float = PydanticField(
        default=0,
        ge=0,
        le=10_000_000,
        allow_inf_nan=False,
        description="the usage a per-unit price is paid on",
    )

    @model_validator(mode="after")
    def _prices_have_their_quantity(self) -> "ToolCostIn":
        # A per-user price without users, or a usage price without a volume, would cost $0.
        if self.per_user_monthly > 0 and self.users < 1:
            raise ValueError("tool_cost.users: a per-user price needs the number of users (at least 1)")
        if self.per_unit > 0 and self.units_per_month <= 0:
            raise ValueError("tool_cost.units_per_month: a usage price needs the expected monthly volume")
        return self


class ApprovalIn(BaseModel):
    """The officer's approval: who owns it, the KPI target, the pilot group and the phase lengths."""

    model_config = ConfigDict(extra="forbid")  # a typo (pilot_groups) is a 422, never dropped

    # The one rule for staff ids (shared/pseudonyms.py): "Jane Doe, MD" is refused, pm-1 is not.
    owner: StaffPseudonym = PydanticField(description="pseudonymous staff id of who owns it, e.g. pm-1")
    target_change_pct: float | None = PydanticField(
        default=None, ge=-100, le=500, description="the relative change, e.g. -30 for -30 %"
    )
    target_change_points: float | None = PydanticField(
        default=None,
        ge=-100,
        le=100,
        description="for a share, the change in percentage points (-14.5: 29 % -> 14.5 %); read against the "
        "baseline typed with it, else the feed's once it is measured",
    )
    target_share_of_gap: float | None = PydanticField(
        default=None,
        gt=0,
        lt=1,
        description="for a share, the part of the gap to 0 % (or 100 %) to close (0.5: half); read against "
        "the baseline typed with it, else the feed's once it is measured",
    )
    pilot_group: list[StaffPseudonym] = PydanticField(
        default_factory=list, max_length=200, description="pseudonymous staff ids, e.g. ma-3"
    )
    phase_days: PhaseLengths = PydanticField(default_factory=PhaseLengths)
    checkin_days: float = PydanticField(default=7, gt=0, le=31)
    baseline: BaselineIn | None = PydanticField(
        default=None, description="a baseline entered by hand when no partner feed measures it"
    )
    baseline_from_history_weeks: int | None = PydanticField(
        default=None,
        ge=1,
        le=26,
        description="the partner feed already holds these whole weeks before today: they are the baseline, "
        "and the baseline phase only confirms the feed is live (1 day unless phase_days.baseline is given)",
    )
    pilot_started_on: date | None = PydanticField(
        default=None,
        description="the first day of a pilot already under way before faio (a past date, the clinic's "
        "own); needs baseline_from_history_weeks: the baseline is the feed's whole weeks before it, and "
        "once phase_days.pilot has passed the gate is judged at once on the weeks the feed holds",
    )
    minimum_worthwhile_pct: float | None = PydanticField(
        default=None,
        ge=-100,
        le=500,
        description="the smallest change worth having, same sign as the target (default: half the target); "
        "the gate passes only when the estimate reaches it and the interval excludes no change",
    )
    no_baseline_reason: FreeText = PydanticField(
        default="", max_length=500, description="why the pilot may start without any baseline"
    )
    compliance_exception: FreeText = PydanticField(
        default="",
        max_length=500,
        description="why a tool that touches patient data may start although BAAs are not in place",
    )
    integration_exception: FreeText = PydanticField(
        default="",
        max_length=500,
        description="why the pilot may go ahead although the tool does not integrate with the clinic systems",
    )
    tool_cost: ToolCostIn | None = None
    capacity_to_cash_share: float = PydanticField(
        default=0,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="share of freed staff hours that becomes cash (overtime or a hire avoided, visits)",
    )
    capacity_to_cash_note: FreeText = PydanticField(
        default="", max_length=300, description="how the freed hours become cash, e.g. 'no Saturday overtime'"
    )
    average_visit_value: float | None = PydanticField(default=None, gt=0, le=100_000, allow_inf_nan=False)
    booking_share: float | None = PydanticField(
        default=None, gt=0, le=1, description="share of answered calls that book a visit"
    )

    @field_validator("target_change_pct")
    @classmethod
    def _target_not_zero(cls, value: float | None) -> float | None:
        if value == 0:
            raise ValueError("target_change_pct must be a change, e.g. -30 or +25")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> "ApprovalIn":
        given = [
            name
            for name in ("target_change_pct", "target_change_points", "target_share_of_gap")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "target_change_pct: give the target one way: target_change_pct (e.g. -30), or for a share "
                "target_change_points or target_share_of_gap with a baseline"
            )
        return self

    @property
    def target_pending(self) -> bool:
        """A target in points or as a share of the gap that waits for the feed's baseline to be read."""
        given = self.target_change_points is not None or self.target_share_of_gap is not None
        return given and self.baseline is None

    @property
    def target_pct(self) -> float:
        """The target as a relative change: as given, or converted by approval_targets.resolved."""
        if self.target_change_pct is None:
            raise ValueError("target_change_pct: the target was not resolved from points or the gap")
        return self.target_change_pct

    @model_validator(mode="after")
    def _worthwhile_within_target(self) -> "ApprovalIn":
        worthwhile = self.minimum_worthwhile_pct
        if worthwhile is not None and self.target_change_pct is None:
            raise ValueError("minimum_worthwhile_pct: give it with target_change_pct, in the same terms")
        if worthwhile is not None and not (0 < worthwhile / self.target_pct <= 1):
            raise ValueError(
                f"minimum_worthwhile_pct: give a change of the target's sign no larger than the target "
                f"({self.target_pct:+g} %), e.g. {self.target_pct / 2:+g}"
            )
        return self

    @model_validator(mode="after")
    def _past_pilot_has_history(self) -> "ApprovalIn":
        if self.pilot_started_on is not None and self.baseline_from_history_weeks is None:
            raise ValueError(
                "pilot_started_on: a pilot already under way is judged against the feed's weeks before it; "
                "give baseline_from_history_weeks too (e.g. 4)"
            )
        return self

    @model_validator(mode="after")
    def _conversion_says_how(self) -> "ApprovalIn":
        if self.capacity_to_cash_share > 0 and not self.capacity_to_cash_note.strip():
            raise ValueError(
                "capacity_to_cash_note: say how the freed hours become cash (overtime avoided, a hire "
                "not made, extra visits booked) when capacity_to_cash_share is above 0"
            )
        return self

    @model_validator(mode="after")
    def _one_baseline(self) -> "ApprovalIn":
        if self.baseline_from_history_weeks is not None:
            if self.baseline is not None:
                raise ValueError(
                    "give either baseline (entered by hand) or baseline_from_history_weeks "
                    "(weeks the feed already holds), not both"
                )
            if "baseline" not in self.phase_days.model_fields_set:
                self.phase_days.baseline = 1  # the weeks are already measured: only confirm the feed
        return self

    @property
    def baseline_days(self) -> float:
        """How many days the baseline is measured over: the past weeks, or the baseline phase ahead."""
        if self.baseline_from_history_weeks is not None:
            return 7.0 * self.baseline_from_history_weeks
        return self.phase_days.baseline
