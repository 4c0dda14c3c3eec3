"""Every table the portal owns, gathered for Alembic (migrations/env.py) and the tests: the read
model, the officer's own state, and the outbox and inbox every service has."""

from services.portal.officer.logo import PortalOfficerLogo
from services.portal.officer.models import (
    PortalClinicNote,
    PortalDismissal,
    PortalOfficer,
    PortalSession,
    SpentSignIn,
)
from services.portal.officer.staff import PortalStaff
from services.portal.read_model.models import (
    PortalAlert,
    PortalAssessment,
    PortalAudit,
    PortalClinic,
    PortalClinicActivity,
    PortalInitiative,
    PortalKpiSeries,
    PortalKpiWeek,
    PortalNotice,
    PortalOpenAudit,
    PortalPlan,
    PortalPlanBuyIn,
    PortalPlanTransition,
)
from shared.db import service_metadata
from shared.inbox import InboxMessage
from shared.leases import Lease
from shared.outbox import OutboxMessage
from shared.rate_counts import RateCount

metadata = service_metadata(
    PortalClinic,
    PortalAssessment,
    PortalAudit,
    PortalOpenAudit,
    PortalInitiative,
    PortalPlan,
    PortalPlanTransition,
    PortalNotice,
    PortalKpiWeek,
    PortalKpiSeries,
    PortalAlert,
    PortalClinicActivity,
    PortalDismissal,
    PortalOfficer,
    SpentSignIn,
    PortalSession,
    OutboxMessage,
    InboxMessage,
    Lease,
    RateCount,
    PortalPlanBuyIn,
    PortalClinicNote,
    PortalStaff,
    PortalOfficerLogo,
)
