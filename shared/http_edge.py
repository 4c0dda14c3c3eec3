"""The HTTP edge every service shares: bounded bodies, JSON where JSON is expected.

A body over the limit is refused by its Content-Length before it is read (so before a
partner's signature is checked), or as soon as a streamed body passes the limit. A form or a
text body sent to a JSON route gets a 415 that says what to send, not a validation error.
"""

import json
from collections.abc import Callable

from fastapi import HTTPException, Request, status
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_MEDIA_TYPES = ("application/json",)
BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyTooLarge(HTTPException):
    """The client sent more bytes than the limit (an HTTPException, so FastAPI's body parsing
    lets it through to the exception handlers instead of calling it a parse error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, too_large(limit))


def too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes; send less (split a batch or a file)"


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, by its Content-Length or as it streams."""

    def __init__(self, app: ASGIApp, *, max_bytes: Callable[[str], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes  # the limit for a path (a CSV import may be larger than JSON)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, too_large(limit))
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _answer(send, 413, too_large(limit))


def _expects_json(route: APIRoute) -> bool:
    body = route.body_field
    if body is None:
        return False
    return bool(getattr(body.field_info, "media_type", "application/json") == "application/json")


async def json_content_type(request: Request) -> None:
    """App-wide dependency: a route whose body is a JSON model answers 415 to anything else."""
    route = request.scope.get("route")
    if request.method not in BODY_METHODS or not isinstance(route, APIRoute) or not _expects_json(route):
        return
    if request.headers.get("content-length", "0") == "0" and "transfer-encoding" not in request.headers:
        return  # no body: an optional body takes its defaults, a required one gets its 422
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES and not media_type.endswith("+json"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "this endpoint takes JSON; send the header 'Content-Type: application/json'"
            f" (got {media_type or 'no content-type'})",
        )
