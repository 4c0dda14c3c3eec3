"""A chosen vendor's catalog price as the plan's tool cost, with the clinic's own volumes. Pure.

Per provider and month: the clinic's providers (its staff roles that see patients, from intake's
profile). Per location and month: its locations. Per minute: the minutes of the problem's work
the audit logged. Per encounter: the baseline's weekly volume (encounters, notes, calls) once
entered. A quote, or a volume not known yet, leaves the plan unpriced and says what is missing.
"""

from dataclasses import dataclass

from services.roadmap.initiatives.pricing import WEEKS_PER_MONTH, ToolCost

# Staff roles (as intake's profile names them) that see patients: a per-provider price counts them.
PROVIDER_WORDS = frozenset(
    "physician doctor provider clinician practitioner dentist therapist psychologist psychiatrist "
    "dermatologist pediatrician np pa md".split()
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


def catalog_tool_cost(*, vendor: str, price_model: str, price_usd: float | None, volumes: Volumes) -> CatalogPrice:
    """The tool cost a catalog entry's price comes to at this clinic; None with the reason if it cannot."""
    if price_usd is None or price_model == "quote":
        return CatalogPrice(None, f"{vendor} is priced on quote: enter the tool cost at approval")
    price = float(price_usd)
    if price_model == "flat_month":
        return CatalogPrice(ToolCost(monthly=price), f"{vendor}: ${price:,.2f} a month (catalog)")
    if price_model == "per_location_month":
        locations = volumes.locations or 0
        if locations < 1:
            return CatalogPrice(None, f"{vendor} is priced per location: the clinic's locations are not known")
        return CatalogPrice(
            ToolCost(monthly=price * locations),
            f"{vendor}: ${price:,.2f} a location a month x {locations} location{'s' if locations != 1 else ''}",
        )
    if price_model == "per_provider_month":
        providers = volumes.providers or 0
        if providers < 1:
            return CatalogPrice(
                None, f"{vendor} is priced per provider: the clinic's profile names no provider role"
            )
        return CatalogPrice(
            ToolCost(per_user_monthly=price, users=providers),
            f"{vendor}: ${price:,.2f} a provider a month x {providers} provider{'s' if providers != 1 else ''}",
        )
    if price_model == "per_minute":
        hours = volumes.problem_hours_per_week or 0.0
        if hours <= 0:
            return CatalogPrice(None, f"{vendor} is priced per minute: the audit logged no hours of this work")
        minutes = round(hours * 60 * WEEKS_PER_MONTH)
        return CatalogPrice(
            ToolCost(per_unit=price, units_per_month=minutes),
            f"{vendor}: ${price:,.2f} a minute x {minutes:,} minutes a month (the audit's {hours:g} h a week)",
        )
    if price_model == "per_encounter":
        weekly = volumes.weekly_volume or 0.0
        if weekly <= 0:
            return CatalogPrice(
                None, f"{vendor} is priced per encounter: it needs the baseline's weekly volume, entered at approval"
            )
        encounters = round(weekly * WEEKS_PER_MONTH)
        return CatalogPrice(
            ToolCost(per_unit=price, units_per_month=encounters),
            f"{vendor}: ${price:,.2f} an encounter x {encounters:,} a month (the baseline's {weekly:g} a week)",
        )
    return CatalogPrice(None, f"{vendor}'s price model {price_model} is not one faio can price")
