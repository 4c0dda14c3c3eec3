"""An endpoint call as data: the service, the method and path, what goes with it, and how its answer
reads. The service modules (intake.py, audit.py, ...) make them; transport.py sends them."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, cast
from uuid import UUID

import httpx

from shared.api_client.refusals import Refusal
from shared.api_client.vocabulary import Service

T = TypeVar("T")
Json = dict[str, Any]  # one JSON object, as the service answered it
Id = str | UUID  # a path's id: as typed on a command line, or as parsed by a page
Reads = Literal["json", "text", "bytes"]


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request to one service; `T` is what a successful answer reads as."""

    service: Service
    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    content: str | bytes | Iterable[bytes] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    admin: bool = False  # officer administration: the admin secret goes along, when there is one
    reads: Reads = "json"

    def answer(self, response: httpx.Response) -> T:
        """The answer as `T` (JSON, or None when empty); a Refusal when the service said no."""
        if not response.is_success:
            raise Refusal.of(self.service, response)
        if self.reads == "text":
            return cast(T, response.text)
        if self.reads == "bytes":
            return cast(T, response.content)
        return cast(T, response.json() if response.content else None)


def present(**values: Any) -> Json:
    """The values that were given: an optional field left out is never sent as null."""
    return {name: value for name, value in values.items() if value is not None}


def ready(service: Service) -> Call[Json]:
    """Whether the service is ready for requests (its database and broker)."""
    return Call(service, "GET", "/readyz")
