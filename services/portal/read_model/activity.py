"""Each clinic's partner feeds and AI use, kept from kpi.clinic.activity.v1 (pages/activity.py reads
them for the portfolio's "Partner feed" and "Adoption" columns and the clinic page)."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.read_model.models import PortalClinicActivity
from shared.events.kpi import ClinicActivity


async def record_activity(*, session: AsyncSession, event: ClinicActivity) -> None:
    """Keep the clinic's latest activity; an older one arriving late changes nothing."""
    row = await session.get(PortalClinicActivity, event.clinic_id)
    if row is not None and row.as_of > event.as_of:
        return
    row = row or PortalClinicActivity(clinic_id=event.clinic_id, as_of=event.as_of)
    row.as_of = event.as_of
    row.last_event_day = event.last_event_day
    row.feeds = [
        [
            feed.feed,
            feed.last_event_day.isoformat() if feed.last_event_day else None,
            feed.events_last_7_days,
            feed.stale,
        ]
        for feed in event.feeds
    ]
    # As the model says, and a fifth: the clinicians seen that week (None from an older kpi), which
    # says whether the week's figures are each person's (shared.small_groups).
    row.adoption = [
        [week.week, week.notes_signed, week.notes_ai_assisted, week.ai_active_staff, week.clinicians]
        for week in event.adoption
    ]
    session.add(row)
