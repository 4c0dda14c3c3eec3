"""The officer's portal. `uvicorn --factory services.portal.app:create_app --port 8005`.

A read model fed only by Kafka events; pages rendered on the server; actions sent to the
owning service's API with the officer's identity; urgent notices mailed once.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.sdk.trace import TracerProvider

from services.portal.handlers import create_router
from services.portal.officer import actions, digest_mail, mail
from services.portal.officer.sessions import SESSION_COOKIE
from services.portal.routes import (
    buy_in,
    catalog,
    clinic,
    close_out,
    deliveries,
    errors,
    logo,
    notes,
    onboarding,
    outreach,
    partners,
    portfolio,
    public_forms,
    report,
    report_api,
    sign_in,
    staff,
    strategy,
    survey,
    today,
    week,
)
from services.portal.routes.web import STATIC_DIR, CsrfRejected, SignInRequired, redirect_with_flash, render
from services.portal.settings import PortalSettings
from shared.app import create_runtime, create_service_app
from shared.errors import NotFound
from shared.public_links import REDACT_TOKENS_IN_LOGS


def create_app(
    settings: PortalSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    settings = settings or PortalSettings()
    runtime = create_runtime(settings, tracer_provider)
    # The public forms' URLs hold link tokens (/p/<token>): never in the access log.
    logging.getLogger("uvicorn.access").addFilter(REDACT_TOKENS_IN_LOGS)

    @asynccontextmanager
    async def background_work(app: FastAPI) -> AsyncIterator[None]:
        clients = actions.service_clients(settings)
        opened = list(clients.values())
        # Tests replace these with in-process clients before the first request.
        app.state.service_http = clients
        mailers = []
        if settings.mail_interval_seconds > 0:
            mailers.append(asyncio.create_task(mail.mail_periodically(runtime.sessions, settings)))
        if settings.digest_interval_seconds > 0:
            mailers.append(
                asyncio.create_task(digest_mail.mail_digests_periodically(runtime.sessions, settings))
            )
        try:
            yield
        finally:
            for mailer in mailers:
                mailer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await mailer
            for client in opened:
                await client.aclose()

    app = create_service_app(
        runtime=runtime,
        title="faio portal",
        description="The officer's portal: portfolio, each clinic's story, and what needs them today.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=tuple(
            module.router
            for module in (
                sign_in,
                portfolio,
                onboarding,
                staff,
                buy_in,
                clinic,
                notes,
                today,
                week,
                logo,
                partners,
                deliveries,
                close_out,
                outreach,
                public_forms,
                survey,
                strategy,
                catalog,
                report,
                report_api,
            )
        ),
        kafka_router=create_router(runtime),
        extra_lifespan=background_work,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.state.sign_in_limits = sign_in.SignInLimits.of(settings)

    async def sign_in_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRequired)
        if not error.reason:
            return RedirectResponse("/sign-in", status_code=303)
        ended = redirect_with_flash("/sign-in", kind="error", text=error.reason, settings=settings)
        ended.delete_cookie(SESSION_COOKIE)
        return ended

    async def not_found(request: Request, error: Exception) -> Response:
        # Someone else's clinic and a clinic that does not exist look the same: 404.
        if request.url.path.startswith("/v1/"):  # the API answers in JSON, as every service does
            return JSONResponse({"detail": str(error)}, status_code=404)
        return render(request, "not_found.html", {"message": str(error)}, status_code=404)

    async def csrf_rejected(request: Request, error: Exception) -> Response:
        return render(
            request, "not_found.html", {"message": str(error), "title": "Form expired"}, status_code=403
        )

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
    errors.install(app)
    return app
