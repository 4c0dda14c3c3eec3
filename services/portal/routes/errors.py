"""The portal's error pages: a person who mistypes a URL or follows an old link gets a page in the
portal's frame saying what happened, not JSON. The API (/v1/...) answers in JSON, as every service."""

import inspect

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from services.portal.routes.web import render

TITLES = {404: "Not found", 405: "Not here", 422: "Check what was sent"}
MESSAGES = {
    404: "There is no page at this address. It may have been mistyped, or the link is old.",
    405: "This address does not take that kind of request. Use the page's buttons and links.",
}


def _api(request: Request) -> bool:
    return request.url.path.startswith("/v1/")


def install(app: FastAPI) -> None:
    """HTML for every HTTP error and bad URL outside the API; the API keeps its JSON answers."""
    json_invalid = app.exception_handlers[RequestValidationError]

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if _api(request):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        code = error.status_code
        message = MESSAGES.get(code) or str(error.detail)
        return render(
            request,
            "not_found.html",
            {"message": message, "title": TITLES.get(code, "Error")},
            status_code=code,
        )

    async def invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        if _api(request):
            answered = json_invalid(request, error)
            return await answered if inspect.isawaitable(answered) else answered
        problems = error.errors()
        if any(tuple(item.get("loc", ()))[:1] == ("path",) for item in problems):
            return render(request, "not_found.html", {"message": MESSAGES[404]}, status_code=404)
        named = "; ".join(
            f"{'.'.join(str(part) for part in tuple(item.get('loc', ()))[1:])}: {item.get('msg', '')}"
            for item in problems
        )
        return render(request, "not_found.html", {"message": named, "title": TITLES[422]}, status_code=422)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
