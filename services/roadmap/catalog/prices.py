"""A chosen vendor's catalog price as the plan's tool cost, with the clinic's own volumes. Pure.

Per provider and month: the clinic's providers (its staff roles that see patients, from intake's
profile). Per location and month: its locations. Per minute: the minutes of the problem's work
the audit logged. Per encounter: the best weekly volume known (`weekly_volume`): the feed's
measured baseline weeks, else a baseline entered by hand, else projected from how often the
audit logged the problem's work. A quote, or no volume at all, leaves the plan unpriced and says
what is missing. Pure but for `chosen_vendor_price`, which reads the choice, the entry and the clinic.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.catalog.service import chosen_entry
from services.roadmap.clinics import normalise_category
from services.roadmap.initiatives.pricing import WEEKS_PER_MONTH, ToolCost
from services.roadmap.models import Initiative, RoadmapAudit, RoadmapClinic

# Staff roles (as intake's profile names them) that see patients: a per-provider price counts them.
PROVIDER_WORDS = frozenset(
    {"physician", "doctor", "provider", "clinician", "practitioner", "dentist", "therapist"}
    | {"psychologist", "psychiatrist", "dermatologist", "pediatrician", "np", "pa", "md"}
)


def provider_headcount(staff: list[tuple[str, int]]) -> int:
    """The headcount of the roles that see patients, from (role, headcount) pairs."""
    total = 0
    for role, headcount in staff:
        words = {word.removesuffix("s") for word in role.lower().replace("-", " ").replace("_", " ").split()}
        if words & PROVIDER_WORDS:
            total += headcount
    return total


@dataclass(frozen=True)
class WeeklyVolume:
    """The week's volume (encounters, notes, calls) a per-encounter price multiplies, and its source."""

    per_week: float | None
    kind: str  # measured (the feed's baseline weeks) | entered (by hand) | projected (the audit) | ""
    source: str  # "the baseline's 389 a week", "projected from the audit's 420 documentation tasks a week"


SOURCE_WORDS = {"audit": "the task audit", "manual_count": "a manual count", "emr_report": "an EMR report"}


def weekly_volume(
    *,
    baseline_weeks: Mapping[str, float],
    entered: float | None = None,
    entered_source: str = "",
    audit_per_week: float | None = None,
    problem: str = "",
) -> WeeklyVolume:
    """The best weekly volume known now: measured beats entered, entered beats the audit's projection."""
    measured = [total for total in baseline_weeks.values() if total > 0]
    if measured:
        mean = fmean(measured)
        weeks = f"{len(measured)} week{'s' if len(measured) != 1 else ''}"
        return WeeklyVolume(mean, "measured", f"from the baseline's {mean:,.0f} a week ({weeks} measured)")
    if entered is not None and entered > 0:
        how = SOURCE_WORDS.get(entered_source, "the officer")
        return WeeklyVolume(
            entered, "entered", f"from the baseline's {entered:,.0f} a week (entered by hand from {how})"
        )
    if audit_per_week is not None and audit_per_week > 0:
        work = problem.replace("_", " ").strip() or "this"
        return WeeklyVolume(
            audit_per_week,
            "projected",
            f"projected from the audit's {audit_per_week:,.0f} {work} tasks a week, until the baseline "
            "measures it",
        )
    return WeeklyVolume(None, "", "")


@dataclass(frozen=True)
class Volumes:
    """What a catalog price is multiplied by, as far as the clinic's data says."""

    providers: int | None = None
    locations: int | None = None
    problem_hours_per_week: float | None = None  # the audit's hours of the problem's work
    weekly_volume: float | None = None  # the volume (encounters, notes, calls) a week: see weekly_volume()
    weekly_volume_source: str = ""  # where that volume comes from, as the note says it
    weekly_volume_kind: str = ""  # measured, entered or projected


@dataclass(frozen=True)
class CatalogPrice:
    tool_cost: ToolCost | None
    note: str  # how it was priced, or what is missing
    volume_kind: str = ""  # per encounter: measured, entered or projected (see WeeklyVolume)


def catalog_tool_cost(
    *, vendor: str, price_model: str, price_usd: float | None, volumes: Volumes
) -> CatalogPrice:
    """The tool cost a catalog entry's price comes to at this clinic; None with the reason if it cannot."""
    if price_usd is None or price_model == "quote":
        return CatalogPrice(None, f"{vendor} is priced on quote: enter the tool cost at approval")
    price = float(price_usd)
    hours, weekly = volumes.problem_hours_per_week or 0.0, volumes.weekly_volume or 0.0
    # Per price model: the quantity a month, its unit, where it comes from, and what is missing without it.
    quantity, unit, source, missing = {
        "flat_month": (1, "month", "a flat subscription", ""),
        "per_location_month": (
            volumes.locations or 0,
            "location a month",
            "the clinic's locations",
            "the clinic's locations are not known",
        ),
        "per_provider_month": (
            volumes.providers or 0,
            "provider a month",
            "the clinic's providers",
            "the clinic's profile names no provider role",
        ),
        "per_minute": (
            round(hours * 60 * WEEKS_PER_MONTH),
            "minute",
            f"minutes a month: the audit's {hours:g} h a week of this work",
            "the audit logged no hours of this work",
        ),
        "per_encounter": (
            round(weekly * WEEKS_PER_MONTH),
            "encounter",
            f"a month, {volumes.weekly_volume_source or f'{weekly:g} a week'}",
            "it needs a weekly volume: enter the baseline's weekly volume at approval, log this work "
            "in the task audit, or wait for the partner feed's baseline weeks",
        ),
    }.get(price_model, (0, price_model, "", "faio cannot price this model"))
    if quantity <= 0:
        return CatalogPrice(None, f"{vendor} is priced per {unit}: {missing}")
    if price_model == "per_provider_month":
        cost = ToolCost(per_user_monthly=price, users=int(quantity))
    elif price_model in {"per_minute", "per_encounter"}:
        cost = ToolCost(per_unit=price, units_per_month=quantity)
    else:
        cost = ToolCost(monthly=price * quantity)
    kind = volumes.weekly_volume_kind if price_model == "per_encounter" else ""
    return CatalogPrice(
        cost, f"{vendor}: ${price:,.2f} a {unit} x {quantity:,} ({source}), from your catalog", kind
    )


async def chosen_vendor_price(
    session: AsyncSession,
    initiative: Initiative,
    *,
    weekly_volume: float | None = None,
    weekly_volume_source: str = "",
) -> CatalogPrice | None:
    """The catalog price of the initiative's chosen vendor at its clinic; None when none is chosen.

    `weekly_volume` is a baseline volume entered at approval (`weekly_volume_source` says how it
    was counted); an approved initiative's own review holds the one it was approved with.
    """
    _choice, entry = await chosen_entry(session, initiative)
    if entry is None:
        return None
    clinic = await session.get(RoadmapClinic, initiative.clinic_id)
    audit = await session.get(RoadmapAudit, initiative.clinic_id)
    approved = initiative.review.get("baseline") or {}
    volume = weekly_volume_of(
        initiative,
        entered=weekly_volume if weekly_volume is not None else approved.get("weekly_volume"),
        entered_source=weekly_volume_source or str(approved.get("source") or ""),
        audit_candidates=audit.candidates if audit is not None else [],
    )
    volumes = Volumes(
        providers=clinic.providers if clinic else None,
        locations=clinic.locations if clinic else None,
        problem_hours_per_week=initiative.hours_per_week,
        weekly_volume=volume.per_week,
        weekly_volume_source=volume.source,
        weekly_volume_kind=volume.kind,
    )
    return catalog_tool_cost(
        vendor=f"{entry.vendor} {entry.product}".strip(),
        price_model=entry.price_model,
        price_usd=entry.price_usd,
        volumes=volumes,
    )


# Where an approved initiative keeps its baseline weeks' volumes as the feed measures them.
BASELINE_WEEKS = "baseline_volume_weeks"


def weekly_volume_of(
    initiative: Initiative,
    *,
    entered: float | None,
    entered_source: str,
    audit_candidates: list[dict[str, Any]],
) -> WeeklyVolume:
    """The initiative's best weekly volume: its measured baseline weeks, the entered one, the audit's."""
    problem = normalise_category(initiative.problem)
    audited = next(
        (
            float(item.get("occurrences_per_week") or 0.0)
            for item in audit_candidates
            if normalise_category(str(item.get("category", ""))) == problem
        ),
        None,
    )
    return weekly_volume(
        baseline_weeks=initiative.review.get(BASELINE_WEEKS) or {},
        entered=float(entered) if entered is not None else None,
        entered_source=entered_source,
        audit_per_week=audited,
        problem=initiative.problem,
    )
