"""An approved plan re-priced when its price changes: a vendor chosen or changed after approval, or
the feed's baseline weeks measuring the weekly volume a per-encounter price multiplies.

The plan's money lives on its initiative (review["money"], written at approval); the plan page, the
practice report and the close-out all read it there, so re-pricing it there re-prices all three.
The workflow never holds it. A tool cost the officer entered at approval is theirs and stays.
"""

import copy
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.roadmap.catalog import prices
from services.roadmap.initiatives import pricing
from services.roadmap.models import Initiative


def entered_by_the_officer(money: dict[str, Any]) -> bool:
    """A tool cost typed at approval: priced, with no catalog note saying where the price came from."""
    return money.get("tool_cost_per_week") is not None and not money.get("tool_cost_note")


async def reprice_plan(session: AsyncSession, clinic_id: UUID, initiative_id: UUID) -> bool:
    """Re-price an approved initiative's plan at its chosen vendor's catalog price; True if it changed.

    The row is locked first: a vendor chosen and a baseline week arriving at once both re-price it.
    """
    initiative = await session.get(Initiative, (clinic_id, initiative_id), with_for_update=True)
    if initiative is None:
        return False
    return await _repriced(session, initiative, initiative.review)


async def record_baseline_week(
    session: AsyncSession, *, clinic_id: UUID, initiative_id: UUID, week: str, total: float
) -> bool:
    """Keep a baseline week's volume (the feed's count of calls, notes or visits) and re-price the plan
    on the measured volume; True if the plan's money changed."""
    initiative = await session.get(Initiative, (clinic_id, initiative_id), with_for_update=True)
    if initiative is None or initiative.status != "approved" or total <= 0:
        return False
    weeks = dict(initiative.review.get(prices.BASELINE_WEEKS) or {})
    if weeks.get(week) == total:
        return False  # a snapshot redelivered
    review = {**copy.deepcopy(initiative.review), prices.BASELINE_WEEKS: {**weeks, week: total}}
    initiative.review = review
    session.add(initiative)
    return await _repriced(session, initiative, review)


async def _repriced(session: AsyncSession, initiative: Initiative, review: dict[str, Any]) -> bool:
    money = review.get("money")
    if initiative.status != "approved" or not money or entered_by_the_officer(money):
        return False
    priced = await prices.chosen_vendor_price(session, initiative)
    if priced is None:  # no vendor chosen: nothing to price it with
        return False
    repriced = pricing.repriced_money(
        money,
        tool_cost=priced.tool_cost,
        tool_cost_note=priced.note,
        pilot_group_size=len(initiative.pilot_group),
    )
    repriced["tool_cost_volume"] = priced.volume_kind
    if repriced == money:
        return False
    initiative.review = {**copy.deepcopy(review), "money": repriced}
    session.add(initiative)
    return True
