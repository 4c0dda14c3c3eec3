"""Sending a Call: `SyncApi` for the command line, `AsyncApi` for the portal and the demo. Both add
the caller's token (and the admin secret where a call needs it) and turn a failure into a Refusal."""

from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from shared.api_client.calls import Call
from shared.api_client.refusals import Refusal
from shared.api_client.vocabulary import Service
from shared.auth import ADMIN_HEADER

T = TypeVar("T")
Timeout = httpx.Timeout | float


def _arguments(call: Call[Any], *, token: str | None, admin_secret: str) -> dict[str, Any]:
    headers = dict(call.headers)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if call.admin and admin_secret:
        headers[ADMIN_HEADER] = admin_secret
    return {
        "method": call.method,
        "url": call.path,
        "json": call.json,
        "params": call.params,
        "content": call.content,
        "headers": headers,
    }


class SyncApi:
    """faio's APIs one request at a time, each service at its base URL."""

    def __init__(
        self,
        base_urls: Mapping[Service, str],
        *,
        admin_secret: str = "",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_urls, self.admin_secret, self.transport = base_urls, admin_secret, transport

    def response(
        self, call: Call[Any], *, token: str | None = None, timeout: Timeout = 30.0
    ) -> httpx.Response:
        """The service's answer whatever it says; a Refusal only when it did not answer."""
        url = self.base_urls[call.service].rstrip("/")
        arguments = _arguments(call, token=token, admin_secret=self.admin_secret)
        try:
            with httpx.Client(base_url=url, timeout=timeout, transport=self.transport) as client:
                return client.request(**arguments)
        except httpx.HTTPError as error:
            raise Refusal.unanswered(call.service, url, error) from error

    def send(self, call: Call[T], *, token: str | None = None, timeout: Timeout = 30.0) -> T:
        """The answer as the call reads it; a Refusal when the service said no or did not answer."""
        return call.answer(self.response(call, token=token, timeout=timeout))


class AsyncApi:
    """faio's APIs through one open httpx.AsyncClient per service (its base URL set)."""

    def __init__(self, clients: Mapping[Service, httpx.AsyncClient], *, admin_secret: str = "") -> None:
        self.clients, self.admin_secret = clients, admin_secret

    async def response(self, call: Call[Any], *, token: str | None = None) -> httpx.Response:
        """The service's answer whatever it says; a Refusal only when it did not answer."""
        client = self.clients[call.service]
        arguments = _arguments(call, token=token, admin_secret=self.admin_secret)
        try:
            return await client.request(**arguments)
        except httpx.HTTPError as error:
            raise Refusal.unanswered(call.service, str(client.base_url), error) from error

    async def send(self, call: Call[T], *, token: str | None = None) -> T:
        """The answer as the call reads it; a Refusal when the service said no or did not answer."""
        return call.answer(await self.response(call, token=token))
