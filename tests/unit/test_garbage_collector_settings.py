"""The collector is tuned once, when a service process starts serving, not for every app built."""

import gc
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared import app as shared_app
from tests.services import tracer_provider


def build(tmp_path: Path, name: str) -> object:
    settings = IntakeSettings(environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
    return create_app(settings, tracer_provider("intake", None))


def test_building_apps_leaves_the_collector_alone(tmp_path: Path) -> None:
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()

    for index in range(3):
        build(tmp_path, f"intake-{index}")

    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == frozen


async def test_starting_to_serve_settles_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled: list[str] = []
    monkeypatch.setattr(shared_app, "settle_garbage_collector", lambda: settled.append("settled"))

    async with LifespanManager(
        create_app(
            IntakeSettings(environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/served.db"),
            tracer_provider("intake", None),
        )
    ):
        assert settled == ["settled"]


def test_settling_twice_freezes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *thresholds: calls.append(f"threshold {thresholds[0]}"))
    shared_app.settle_garbage_collector.cache_clear()
    try:
        shared_app.settle_garbage_collector()
        shared_app.settle_garbage_collector()
    finally:
        shared_app.settle_garbage_collector.cache_clear()

    assert calls == ["freeze", f"threshold {shared_app.GC_FIRST_GENERATION_THRESHOLD}"]
