"""A chosen vendor's catalog price as the plan's tool cost, with the clinic's own volumes. Pure.

Per provider and month: the clinic's providers (its staff roles that see patients, from intake's
profile). Per location and month: its locations. Per minute: the minutes of the problem's work
the audit logged. Per encounter: the baseline's weekly volume (encounters, notes, calls) once
entered. A quote, or a volume not known yet, leaves the plan unpriced and says what is missing.
Pure but for `chosen_vendor_price`, which reads the choice, the entry and the clinic.
"""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.catalog.service import chosen_entry
from services.roadmap.initiatives.pricing import WEEKS_PER_MONTH, ToolCost
from services.roadmap.models import Initiative, RoadmapClinic

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
class Volumes:
    """What a catalog price is multiplied by, as far as the clinic's data says."""

    providers: int | None = None
    locations: int | None = None
    problem_hours_per_week: float | None = None  # the audit's hours of the problem's work
    weekly_volume: float | None = None  # the baseline's volume (encounters, notes, calls) a week


@dataclass(frozen=True)
class CatalogPrice:
    tool_cost: ToolCost | None
    note: str  # how it was priced, or what is missing


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
            f"a month: the baseline's {weekly:g} a week",
            "it needs the baseline's weekly volume, entered at approval",
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
    return CatalogPrice(
        cost, f"{vendor}: ${price:,.2f} a {unit} x {quantity:,} ({source}), from your catalog"
    )


async def chosen_vendor_price(
    session: AsyncSession, initiative: Initiative, *, weekly_volume: float | None = None
) -> CatalogPrice | None:
    """The catalog price of the initiative's chosen vendor at its clinic; None when none is chosen."""
    _choice, entry = await chosen_entry(session, initiative)
    if entry is None:
        return None
    clinic = await session.get(RoadmapClinic, initiative.clinic_id)
    volumes = Volumes(
        providers=clinic.providers if clinic else None,
        locations=clinic.locations if clinic else None,
        problem_hours_per_week=initiative.hours_per_week,
        weekly_volume=weekly_volume,
    )
    return catalog_tool_cost(
        vendor=f"{entry.vendor} {entry.product}".strip(),
        price_model=entry.price_model,
        price_usd=entry.price_usd,
        volumes=volumes,
    )
