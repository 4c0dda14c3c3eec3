"""Every table of roadmap, gathered for its migrations (migrations/env.py) and the tests.

Only gathers: each concern defines its tables in its own models.py.
"""

from services.roadmap.catalog.models import CatalogEntry, CatalogSeeded, InitiativeVendor
from services.roadmap.models import (
    Initiative,
    RoadmapAssessment,
    RoadmapAudit,
    RoadmapClinic,
    RoadmapPlan,
    RoadmapPlanNotice,
    RoadmapPlanTransition,
)
from services.roadmap.plans.buy_in.models import BUY_IN_TABLES
from services.roadmap.strategy.models import StrategyAnswer
from shared.db import service_metadata
from shared.inbox import InboxMessage
from shared.leases import Lease
from shared.outbox import OutboxMessage
from shared.rate_counts import RateCount

metadata = service_metadata(
    RoadmapClinic,
    RoadmapAssessment,
    RoadmapAudit,
    Initiative,
    RoadmapPlan,
    RoadmapPlanTransition,
    RoadmapPlanNotice,
    StrategyAnswer,
    CatalogEntry,
    CatalogSeeded,
    InitiativeVendor,
    OutboxMessage,
    InboxMessage,
    Lease,
    RateCount,
    *BUY_IN_TABLES,
)
