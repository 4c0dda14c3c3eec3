"""`faio report`: where it asks (the portal, with the officer's token) and what it refuses to write."""

from pathlib import Path

import httpx
import pytest

from tests.unit.cli_support import FakeServices, faio, services

__all__ = ["services"]  # the fixture, used by name

CLINIC_ID = "4201c2fd-2f77-467a-a64e-4b1612ab2699"
PATH = f"/v1/clinics/{CLINIC_ID}/report.pdf"


def test_the_pdf_is_asked_of_the_portal_with_the_token_and_written_where_asked(
    services: FakeServices, tmp_path: Path
) -> None:
    services.answers[("GET", PATH)] = lambda _request: httpx.Response(
        200, content=b"%PDF-1.7 ...", headers={"content-type": "application/pdf"}
    )
    out = tmp_path / "report.pdf"

    done = faio(
        "--portal-url", "http://portal.example:9005", "report", "--clinic", CLINIC_ID, "--out", str(out)
    )

    assert done.exit_code == 0, done.output
    sent = services.sent("GET", PATH)
    assert sent.url.host == "portal.example" and sent.headers["Authorization"] == "Bearer officer-token"
    assert out.read_bytes() == b"%PDF-1.7 ..."
    assert f"report: {out.resolve()}" in done.stdout


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (httpx.Response(502, json={"detail": "no PDF: roadmap did not answer"}), "answered 502: no PDF"),
        (httpx.Response(200, json={"detail": "a portal stand-in"}), "not a PDF"),
    ],
)
def test_no_file_is_written_without_a_pdf(
    services: FakeServices, tmp_path: Path, answer: httpx.Response, said: str
) -> None:
    services.answers[("GET", PATH)] = lambda _request: answer
    out = tmp_path / "report.pdf"

    done = faio("report", "--clinic", CLINIC_ID, "--out", str(out))

    assert done.exit_code == 1 and said in done.stderr
    assert not out.exists()
