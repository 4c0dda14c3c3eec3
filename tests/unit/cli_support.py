"""Stand-in services for the CLI's unit tests: every request the CLI sends, and scripted answers."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from services.cli import client
from services.cli.main import app

Answer = tuple[int, Any] | Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeServices:
    """Answers by (method, path); records what was sent."""

    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def answer(self, method: str, path: str, status: int, body: Any = None) -> None:
        self.answers[(method, path)] = (status, body)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.get((request.method, request.url.path))
        if answer is None:
            return httpx.Response(
                404, json={"detail": f"no stand-in for {request.method} {request.url.path}"}
            )
        if callable(answer):
            return answer(request)
        status, body = answer
        return httpx.Response(status, json=body)

    def sent(self, method: str, path: str) -> httpx.Request:
        return next(r for r in self.requests if r.method == method and r.url.path == path)

    def body(self, method: str, path: str) -> Any:
        return json.loads(self.sent(method, path).content)


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServices]:
    fake = FakeServices()
    monkeypatch.setattr(client, "transport", httpx.MockTransport(fake.handle))
    for name in (
        "FAIO_TOKEN",
        "FAIO_ADMIN_SECRET",
        "FAIO_INTAKE_URL",
        "FAIO_AUDIT_URL",
        "FAIO_ROADMAP_URL",
        "FAIO_KPI_URL",
        "FAIO_PORTAL_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich never folds a cell the test looks for
    yield fake


def faio(*args: str, token: str | None = "officer-token", **env: str) -> Result:
    environment = dict(env)
    if token is not None:
        environment["FAIO_TOKEN"] = token
    return CliRunner().invoke(app, list(args), env=environment)
