"""Every request body of every service refuses unknown fields: a typo is a 422, never dropped."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from tests.services import FACTORIES


def request_models(app: FastAPI) -> dict[str, type[BaseModel]]:
    """Each JSON body model of the app's routes (and the models nested in them), by where it is used."""
    found: dict[str, type[BaseModel]] = {}

    def visit(model: type[BaseModel], where: str) -> None:
        if model in found.values():
            return
        found[where] = model
        for name, field in model.model_fields.items():
            for candidate in _models_in(field.annotation):
                visit(candidate, f"{where}.{name}")

    for route in _api_routes(app):
        if route.body_field is not None:
            for model in _models_in(route.body_field.field_info.annotation):
                visit(model, f"{sorted(route.methods or {'?'})[0]} {route.path}")
    return found


def _api_routes(app: FastAPI) -> list[APIRoute]:
    routes: list[APIRoute] = []
    for route in app.router.routes:
        if isinstance(route, APIRoute):
            routes.append(route)
        for attribute in ("router", "original_router"):
            inner = getattr(route, attribute, None)
            if inner is not None and hasattr(inner, "routes"):
                routes.extend(r for r in inner.routes if isinstance(r, APIRoute))
    return routes


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in getattr(annotation, "__args__", ()) for model in _models_in(argument)]


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_every_request_body_forbids_unknown_fields(service: str) -> None:
    factory, settings_class = FACTORIES[service]
    app = factory(settings_class(environment="test"), None)
    models = request_models(app)  # the portal takes HTML forms: it may have none
    lenient = {
        where: model.__name__
        for where, model in models.items()
        if model.model_config.get("extra") != "forbid"
    }
    assert lenient == {}
