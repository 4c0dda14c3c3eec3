"""The intake service: clinics and readiness.

Run it with `uvicorn --factory services.intake.app:create_app --port 8001`.
"""

from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider

from services.intake import officers, scoring
from services.intake.api import admin_router, router
from services.intake.handlers import create_router
from services.intake.prospects.api import public_router as prospect_public_router
from services.intake.prospects.api import router as prospect_router
from services.intake.settings import IntakeSettings
from shared.app import create_runtime, create_service_app
from shared.auth import Officer


def create_app(
    settings: IntakeSettings | None = None, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    runtime = create_runtime(settings or IntakeSettings(), tracer_provider)
    app = create_service_app(
        runtime=runtime,
        title="faio intake",
        description="Clinics, officers and the AI Readiness Assessment.",
        migrations_dir=Path(__file__).parent / "migrations",
        http_routers=[admin_router, router, prospect_router, prospect_public_router],
        kafka_router=create_router(runtime),
    )
    if not runtime.settings.jwks_url:  # an identity provider's tokens are revoked at the provider
        app.state.officer_check = check_officer
    app.add_exception_handler(scoring.InvalidAnswers, invalid_answers)
    return app


async def check_officer(request: Request, officer: Officer) -> None:
    """Every token must name an existing officer at their current token version (not revoked)."""
    async with request.app.state.runtime.sessions() as session:
        await officers.check_caller(session=session, caller=officer)


async def invalid_answers(request: Request, error: Exception) -> JSONResponse:
    """Answers that cannot be scored: FastAPI's 422 shape, one problem per question."""
    assert isinstance(error, scoring.InvalidAnswers)
    problems = [
        {
            "loc": ["body", "answers", problem.question_id],
            "msg": f"question {problem.question_id}: {problem.message}",
            "type": "value_error",
        }
        for problem in error.problems
    ]
    return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
