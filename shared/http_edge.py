"""The HTTP edge every service shares: bounded bodies, JSON where JSON is expected, browser headers.

A body over the limit is refused by its Content-Length before it is read (so before a
partner's signature is checked), or as soon as a streamed body passes the limit. A form or a
text body sent to a JSON route gets a 415 that says what to send, not a validation error.

Every response says nosniff and `Referrer-Policy: same-origin`; every HTML page gets a strict
Content-Security-Policy (this origin's files only, no inline script or style, never framed)
and `Cache-Control: no-store`: a portal page is one officer's data or shows a link or a key,
and one rule for all pages cannot be forgotten on the next page that shows one. The docs pages
(Swagger UI, Redoc, AsyncAPI) start from inline scripts the framework writes, with no one's data
in them: they get a policy that allows inline code (and eval, for AsyncAPI's schema validator),
still from this origin only and never framed.
"""

import base64
import hashlib
import json
import re
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


_NEVER_FRAMED = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"
PAGE_POLICY = f"default-src 'self'; img-src 'self' data:; {_NEVER_FRAMED}"
_DOCS_SOURCES = (
    f"style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; {_NEVER_FRAMED}"
)
DOCS_POLICY = f"default-src 'self'; script-src 'self' 'unsafe-inline'; {_DOCS_SOURCES}"
# The AsyncAPI viewer also compiles the document's JSON schemas into functions (ajv): eval.
ASYNCAPI_POLICY = f"default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; {_DOCS_SOURCES}"
DOCS_POLICIES = {
    "/docs": DOCS_POLICY,
    "/docs/oauth2-redirect": DOCS_POLICY,
    "/redoc": DOCS_POLICY,
    "/asyncapi": ASYNCAPI_POLICY,
}
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def page_policy_with_styles_of(html: str) -> str:
    """PAGE_POLICY allowing, by their hashes, the <style> elements of a page another service wrote
    (roadmap's close-out report, which the portal shows unchanged); scripts stay refused."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"
        for css in _STYLE_ELEMENT.findall(html)
    )
    return f"{PAGE_POLICY}; style-src 'self' {hashes}".rstrip()


_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
]


class BrowserHeaders:
    """ASGI middleware: the headers above, added to what a route answers (a route's own win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page_policy = DOCS_POLICIES.get(scope["path"], PAGE_POLICY).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                added = list(_ALWAYS)
                if dict(headers).get(b"content-type", b"").startswith(b"text/html"):
                    added += [(b"content-security-policy", page_policy), (b"cache-control", b"no-store")]
                headers += [(name, value) for name, value in added if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
