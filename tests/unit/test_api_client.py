"""shared/api_client, the one client of faio's own HTTP APIs: every call it makes is a route its
service serves, its vocabulary is what the services accept, refusals read the same for every caller,
and the CLI, the portal and the demo spell no endpoint path of their own.
"""

import ast
import base64
import inspect
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, UnionType
from typing import Any, Literal, get_args, get_origin, get_type_hints
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from standardwebhooks.webhooks import Webhook

from shared.api_client import AsyncApi, Call, Refusal, SyncApi, audit, intake, kpi, portal, roadmap
from shared.api_client.calls import ready
from shared.api_client.vocabulary import (
    GATE_ACTIONS,
    PARTNER_KINDS,
    PHASES_WITH_LENGTH,
    SERVICES,
    TrainingKind,
    TrainingStatus,
)
from shared.auth import ADMIN_HEADER
from tests.services import FACTORIES, service_settings

ROOT = Path(__file__).parents[2]
CLIENTS = (ROOT / "services" / "cli", ROOT / "services" / "portal", ROOT / "deploy" / "demo")
MODULES: dict[str, ModuleType] = {
    "intake": intake,
    "audit": audit,
    "roadmap": roadmap,
    "kpi": kpi,
    "portal": portal,
}


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FastAPI]:
    """Every service's app, made but not started: its routes and OpenAPI schema are what count."""
    data_dir = tmp_path_factory.mktemp("apps")
    return {
        name: factory(service_settings(name, kafka="127.0.0.1:9", data_dir=data_dir), TracerProvider())
        for name, (factory, _settings) in FACTORIES.items()
    }


def samples(annotation: Any) -> list[Any]:
    """Values for a required parameter: every word of a Literal, one plain value otherwise."""
    origin = get_origin(annotation)
    if origin is Literal:
        return list(get_args(annotation))
    if origin is UnionType:
        return [uuid4()] if UUID in get_args(annotation) else samples(get_args(annotation)[0])
    if annotation is Webhook:
        return [Webhook(base64.b64encode(b"a test signing secret").decode())]
    plain: dict[Any, Any] = {str: "x", int: 1, float: 1.0, bool: True, dict: {}}
    return [plain.get(annotation, plain.get(origin, []))]


def every_call() -> Iterator[tuple[str, Call[Any]]]:
    """Every endpoint function of every service module, with every word its Literals allow."""
    for name, module in MODULES.items():
        for function_name, function in inspect.getmembers(module, inspect.isfunction):
            hints = get_type_hints(function)
            if function.__module__ != module.__name__ or get_origin(hints["return"]) is not Call:
                continue
            required = [
                parameter.name
                for parameter in inspect.signature(function).parameters.values()
                if parameter.default is inspect.Parameter.empty
            ]
            for values in itertools.product(*(samples(hints[parameter]) for parameter in required)):
                yield f"{name}.{function_name}", function(**dict(zip(required, values, strict=True)))
    for service in SERVICES:
        yield f"ready({service})", ready(service)


def served(app: FastAPI) -> list[tuple[set[str], re.Pattern[str]]]:
    """The app's operations (its OpenAPI schema): their methods and path templates as patterns."""
    return [
        (
            {method.upper() for method in operations},
            re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))),
        )
        for path, operations in app.openapi()["paths"].items()
    ]


def test_every_call_of_the_client_is_a_route_its_service_serves(apps: dict[str, FastAPI]) -> None:
    routes = {name: served(app) for name, app in apps.items()}
    calls = list(every_call())
    assert len(calls) > 70
    for name, call in calls:
        module = name.split(".")[0]
        assert module in (call.service, f"ready({call.service})"), name
        assert any(
            call.method in methods and pattern.fullmatch(call.path)
            for methods, pattern in routes[call.service]
        ), f"{name}: {call.method} {call.path} is not served by {call.service}"


def words(schema: dict[str, Any], openapi: dict[str, Any]) -> set[str]:
    """The values an OpenAPI schema accepts (an enum, behind references and unions)."""
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "enum" in schema:
        return set(schema["enum"])
    found: set[str] = set()
    for part in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found |= words(part, openapi)
    return found


def body_field(openapi: dict[str, Any], method: str, path: str, field: str) -> dict[str, Any]:
    operation = openapi["paths"][path][method]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found: dict[str, Any] = schema["properties"][field]
    while "$ref" in found:
        found = openapi["components"]["schemas"][found["$ref"].rsplit("/", 1)[-1]]
    return found


def test_the_vocabulary_is_what_the_services_accept(apps: dict[str, FastAPI]) -> None:
    roadmap_api, kpi_api = apps["roadmap"].openapi(), apps["kpi"].openapi()
    decisions = "/v1/plans/{plan_id}/decisions"
    trainings = "/v1/plans/{plan_id}/buy-in/trainings"
    approve = "/v1/initiatives/{initiative_id}/approve"

    assert set(SERVICES) == set(FACTORIES)
    assert set(GATE_ACTIONS) == words(body_field(roadmap_api, "post", decisions, "action"), roadmap_api)
    assert set(PARTNER_KINDS) == words(body_field(kpi_api, "post", "/v1/partners", "kind"), kpi_api)
    assert set(get_args(TrainingKind)) == words(
        body_field(roadmap_api, "post", trainings, "kind"), roadmap_api
    )
    assert set(get_args(TrainingStatus)) == words(
        body_field(roadmap_api, "post", trainings, "status"), roadmap_api
    )
    assert set(PHASES_WITH_LENGTH) == set(
        body_field(roadmap_api, "post", approve, "phase_days")["properties"]
    )


def endpoint_paths(path: Path) -> list[str]:
    """Strings (f-strings' parts and docstrings too) in a module that name an endpoint: /v1/ and more."""
    return [
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"/v1/\w", node.value)
    ]


@pytest.mark.parametrize("folder", CLIENTS, ids=lambda folder: folder.name)
def test_the_cli_the_portal_and_the_demo_reach_services_only_through_the_client(folder: Path) -> None:
    modules = list(folder.rglob("*.py"))
    spelled = {str(path.relative_to(ROOT)): paths for path in modules if (paths := endpoint_paths(path))}
    assert spelled == {}, "endpoint paths belong in shared/api_client"
    assert any("shared.api_client" in path.read_text() for path in modules)


# --- refusals, read once -------------------------------------------------------------------------

EXPLAINED: dict[str, Any] = {
    "sign_in": "sign in",
    "not_found": "list them",
    "conflict": "look at it",
    "unreachable": "start it",
}


def test_a_422_list_reads_field_by_field_for_a_form_and_for_a_terminal() -> None:
    detail = [
        {"loc": ["body", "owner"], "msg": "too short"},
        {"loc": ["query", "kpi"], "msg": "unknown KPI"},
        {"loc": ["body"], "msg": "not JSON"},
    ]
    refusal = Refusal.of("roadmap", httpx.Response(422, json={"detail": detail}))

    assert refusal.fields == {"owner": "too short", "kpi": "unknown KPI", "form": "not JSON"}
    assert refusal.reason == "owner: too short; kpi: unknown KPI; form: not JSON"
    assert refusal.in_full() == "\n  owner: too short\n  kpi: unknown KPI\n  request: not JSON"
    said = refusal.explained(**EXPLAINED)
    assert said.message.startswith("the roadmap service refused the input: \n  owner: too short")
    assert said.what_to_do == "fix what is named and try again" and said.bad_input


@pytest.mark.parametrize(
    ("status", "message", "what_to_do"),
    [
        (401, "the intake service refused the token: expired", "sign in"),
        (403, "the intake service refused: expired", ""),
        (404, "expired", "list them"),
        (409, "expired", "look at it"),
        (503, "the intake service is not ready: expired", "try again in a few seconds"),
        (500, "the intake service answered 500: expired", ""),
    ],
)
def test_each_status_is_explained_with_what_to_do(status: int, message: str, what_to_do: str) -> None:
    refusal = Refusal.of("intake", httpx.Response(status, json={"detail": "expired"}))

    assert refusal.reason == "expired" and str(refusal) == "intake: expired"
    said = refusal.explained(**EXPLAINED)
    assert (said.message, said.what_to_do, said.bad_input) == (message, what_to_do, False)


def test_an_answer_without_a_detail_and_no_answer_at_all() -> None:
    proxy = Refusal.of("kpi", httpx.Response(502, text="<html>bad gateway</html>"))
    busy = Refusal.of("kpi", httpx.Response(429, json={"detail": "busy"}, headers={"Retry-After": "7"}))
    down = Refusal.unanswered("kpi", "http://kpi.example", httpx.ConnectError("refused"))

    assert (proxy.reason, proxy.in_full()) == ("answered 502", "<html>bad gateway</html>")
    assert busy.retry_after == "7"
    assert down.status == 0
    assert down.reason == "the kpi service did not answer (ConnectError); try again in a moment"
    assert (
        down.explained(**EXPLAINED).message == "cannot reach the kpi service at http://kpi.example (refused)"
    )


# --- the two callers ------------------------------------------------------------------------------


def recorder(answer: httpx.Response) -> tuple[list[httpx.Request], Callable[[httpx.Request], httpx.Response]]:
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answer

    return sent, handle


def test_the_sync_caller_sends_the_token_and_the_admin_secret_only_where_it_belongs() -> None:
    sent, handle = recorder(httpx.Response(200, json={"id": "c-1"}))
    api = SyncApi(
        {"intake": "http://intake.example/"}, admin_secret="s3cret", transport=httpx.MockTransport(handle)
    )

    assert api.send(intake.clinic(clinic_id="c-1"), token="officer-token") == {"id": "c-1"}
    api.send(intake.create_officer(name="Dana", email="dana@example.org"))

    officer, admin = sent
    assert str(officer.url) == "http://intake.example/v1/clinics/c-1"
    assert officer.headers["Authorization"] == "Bearer officer-token" and ADMIN_HEADER not in officer.headers
    assert admin.headers[ADMIN_HEADER] == "s3cret" and "Authorization" not in admin.headers


async def test_the_async_caller_answers_a_refusal_as_one() -> None:
    _sent, handle = recorder(httpx.Response(409, json={"detail": "the plan is not waiting for a decision"}))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://roadmap") as client:
        api = AsyncApi({"roadmap": client})
        with pytest.raises(Refusal) as refused:
            await api.send(roadmap.decide(plan_id="p-1", action="stop"), token="t")

    assert (refused.value.status, refused.value.reason) == (409, "the plan is not waiting for a decision")
