"""One client for faio's own HTTP APIs, used by the CLI, the portal and the demo.

Each service's endpoints are small typed functions in a module of its name (intake, audit, roadmap,
kpi, portal) that return a `Call`: the request as data, with what a success reads as. `SyncApi`
(the CLI) and `AsyncApi` (the portal, the demo) send it with the caller's token; whatever the
service refuses comes back as a `Refusal`, read once for everyone, which `explained` turns into a
sentence and what to do. The values fields accept are in `vocabulary`.

    from shared.api_client import AsyncApi, roadmap

    plan = await api.send(roadmap.plan(plan_id=plan_id), token=token)
    await api.send(roadmap.decide(plan_id=plan_id, action="extend", extend_days=21), token=token)

No endpoint path is written anywhere else in the CLI, the portal or the demo.
"""

from shared.api_client.calls import Call, Id, Json
from shared.api_client.refusals import Explanation, Refusal
from shared.api_client.transport import AsyncApi, SyncApi

__all__ = ["AsyncApi", "Call", "Explanation", "Id", "Json", "Refusal", "SyncApi"]
