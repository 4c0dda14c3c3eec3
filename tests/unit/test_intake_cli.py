"""`faio officer ...` against a scratch SQLite database, and the CLI's own input checks."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.intake.settings import IntakeSettings
from shared.auth import verify_token

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    monkeypatch.setenv("FAIO_DATABASE_URL", url)
    monkeypatch.delenv("FAIO_TOKEN", raising=False)
    return url


def test_officer_create_prints_a_token_that_verifies_once(database: str) -> None:
    result = runner.invoke(app, ["officer", "create", "--name", "Ada Lovelace", "--email", "Ada@Example.org"])
    assert result.exit_code == 0, result.output

    token_line = next(line for line in result.stdout.splitlines() if line.count(".") == 2 and " " not in line)
    officer = verify_token(IntakeSettings(), token_line)
    assert officer.name == "Ada Lovelace"
    assert officer.id in result.stdout
    assert "ada@example.org" in result.stdout

    listed = runner.invoke(app, ["officer", "list"])
    assert listed.exit_code == 0
    assert "Ada Lovelace" in listed.stdout
    assert token_line not in listed.stdout  # shown once, never again


def test_the_same_email_cannot_be_an_officer_twice(database: str) -> None:
    assert (
        runner.invoke(app, ["officer", "create", "--name", "Ada", "--email", "ada@example.org"]).exit_code
        == 0
    )
    again = runner.invoke(app, ["officer", "create", "--name", "Ada L.", "--email", "ADA@example.org"])
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert "faio officer list" in again.stderr


def test_a_bad_email_is_refused_before_anything_is_written(database: str) -> None:
    result = runner.invoke(app, ["officer", "create", "--name", "Ada", "--email", "not-an-email"])
    assert result.exit_code == 2
    assert "email" in result.stderr
    assert "1 officer" not in runner.invoke(app, ["officer", "list"]).stdout


def test_http_commands_without_a_token_say_how_to_get_one(database: str) -> None:
    result = runner.invoke(app, ["clinic", "list"])
    assert result.exit_code == 1
    assert "faio officer create" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--staff", "front desk:three:24", "ROLE:HEADCOUNT:HOURLY_COST"),
        ("--system", "athenahealth", "KIND=VENDOR"),
    ],
)
def test_clinic_add_explains_the_staff_and_system_formats(
    database: str, option: str, value: str, expected: str
) -> None:
    result = runner.invoke(
        app, ["clinic", "add", "--token", "t", "--name", "A", "--specialty", "B", option, value]
    )
    assert result.exit_code == 2
    assert expected in result.stderr
