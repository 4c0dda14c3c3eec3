"""The officer's logo: uploaded on the settings page (PNG or JPEG by its bytes, re-encoded without
metadata), shown on the public forms their links open and on their reports (page and PDF), removed;
another officer's logo is never shown."""

import io
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader

from services.portal.officer import logo
from services.portal.routes import report
from shared.public_links import LinkPurpose, issue_link
from tests.unit import test_portal_pages
from tests.unit.portal_roadmap_support import PortalWithRoadmap
from tests.unit.portal_roadmap_support import portal as portal_with_roadmap
from tests.unit.test_portal_pages import Portal
from tests.unit.test_practice_report import approve_first

portal = test_portal_pages.portal  # the fixture: the app in process, stand-in services
__all__ = ["portal", "portal_with_roadmap"]

OFFICER, OTHER = "officer-logo", "officer-logo-other"
SECRET_NOTE = "taken at 12 Elm Street by Dr Secret"


def png(size: tuple[int, int] = (120, 40), colour: str = "navy", *, note: str = SECRET_NOTE) -> bytes:
    """A PNG carrying a text chunk (metadata the portal must not keep)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", note)
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = SECRET_NOTE  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (80, 80), "teal").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


async def upload(
    portal: Portal | PortalWithRoadmap, csrf: str, name: str, data: bytes, kind: str
) -> httpx.Response:
    return await portal.http.post(
        "/settings/logo", data={"csrf_token": csrf}, files={"logo": (name, data, kind)}
    )


def logo_urls(page: str) -> list[str]:
    return re.findall(r'src="(/logos/[0-9a-f]{64}\.(?:png|jpg))"', page)


def prospect_link(portal: Portal, officer_id: str) -> str:
    token = issue_link(
        portal.settings,
        purpose=LinkPurpose.PROSPECT,
        link_id=str(uuid4()),
        subject_id=officer_id,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return f"/p/{token}"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "data", "kind", "said"),
    [
        ("logo.svg", SVG, "image/svg+xml", "only a PNG or JPEG"),
        ("logo.png", SVG, "image/png", "only a PNG or JPEG"),  # the name and type lie: the bytes tell
        ("logo.png", b"GIF89a" + b"\x00" * 40, "image/png", "only a PNG or JPEG"),
        ("logo.png", b"\x89PNG\r\n\x1a\n broken", "image/png", "only a PNG or JPEG"),
        ("logo.png", b"", "image/png", "choose a PNG or JPEG"),
        ("logo.png", b"\x89PNG" + b"\x00" * 210_000, "image/png", "at most 200 KB"),
        ("wide.png", png((3000, 20)), "image/png", "at most 2000 by 2000 pixels (this one is 3000 by 20)"),
    ],
)
async def test_anything_but_a_small_png_or_jpeg_is_refused_naming_the_field(
    portal: Portal, name: str, data: bytes, kind: str, said: str
) -> None:
    csrf = await portal.sign_in(OFFICER)
    answer = await upload(portal, csrf, name, data, kind)
    assert answer.status_code == 422, answer.text[:300]
    assert f"logo: {said}" in answer.text or said in answer.text
    assert 'id="logo-error"' in answer.text
    async with portal.sessions() as session:
        assert await logo.logo_of(session, OFFICER) is None
    # Without the file field at all: the same 4xx naming it, never a 500.
    bare = await portal.http.post("/settings/logo", data={"csrf_token": csrf})
    assert bare.status_code == 422 and "logo: choose a PNG or JPEG" in bare.text


async def test_a_logo_is_kept_without_its_metadata_and_shown_on_the_senders_forms_only(
    portal: Portal,
) -> None:
    csrf = await portal.sign_in(OFFICER)
    portal.intake.status = 503  # the page saying to try again is in the public frame too
    assert not logo_urls((await portal.http.get(prospect_link(portal, OFFICER))).text)

    saved = await upload(portal, csrf, "logo.png", png(), "image/png")
    assert saved.status_code == 303, saved.text[:300]
    [url] = logo_urls((await portal.http.get("/settings")).text)
    served = await portal.http.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert (
        "immutable" in served.headers["cache-control"]
        and "max-age=31536000" in served.headers["cache-control"]
    )
    assert SECRET_NOTE.encode() not in served.content  # re-encoded: the text chunk is gone
    with Image.open(io.BytesIO(served.content)) as kept:
        assert (kept.format, kept.size) == ("PNG", (120, 40))

    # The public form a link of theirs opens shows it; another officer's link does not.
    assert logo_urls((await portal.http.get(prospect_link(portal, OFFICER))).text) == [url]
    other_csrf = await portal.sign_in(OTHER)
    assert not logo_urls((await portal.http.get(prospect_link(portal, OTHER))).text)
    assert not logo_urls((await portal.http.get("/settings")).text)  # the other officer's settings
    # The other officer's own logo (a JPEG, its EXIF dropped) is theirs alone.
    assert (await upload(portal, other_csrf, "me.jpg", jpeg_with_exif(), "image/jpeg")).status_code == 303
    [other_url] = logo_urls((await portal.http.get(prospect_link(portal, OTHER))).text)
    assert other_url != url and other_url.endswith(".jpg")
    other_logo = await portal.http.get(other_url)
    assert (
        other_logo.headers["content-type"] == "image/jpeg" and SECRET_NOTE.encode() not in other_logo.content
    )
    assert logo_urls((await portal.http.get(prospect_link(portal, OFFICER))).text) == [url]

    # Removed: gone from the settings, the forms and its address.
    removed = await portal.http.post("/settings/logo/remove", data={"csrf_token": other_csrf})
    assert removed.status_code == 303
    assert not logo_urls((await portal.http.get("/settings")).text)
    assert not logo_urls((await portal.http.get(prospect_link(portal, OTHER))).text)
    assert (await portal.http.get(other_url)).status_code == 404
    assert (await portal.http.get(url.replace(".png", ".jpg"))).status_code == 404
    assert (await portal.http.get("/logos/not-a-hash.png")).status_code == 404


async def test_the_report_shows_the_officers_logo_on_the_page_and_in_the_pdf(
    portal_with_roadmap: PortalWithRoadmap,
) -> None:
    portal = portal_with_roadmap
    csrf = await portal.sign_in()
    clinic_id = await portal.clinic()
    await approve_first(portal, clinic_id)
    before = await portal.http.get(f"/clinics/{clinic_id}/report.pdf")
    assert before.status_code == 200, before.text[:300]
    images_before = sum(len(page.images) for page in PdfReader(io.BytesIO(before.content)).pages)

    assert (await upload(portal, csrf, "logo.png", png((200, 60), "crimson"), "image/png")).status_code == 303
    [url] = logo_urls((await portal.http.get(f"/clinics/{clinic_id}/report")).text)
    after = await portal.http.get(f"/clinics/{clinic_id}/report.pdf")
    assert after.status_code == 200
    images = [image for page in PdfReader(io.BytesIO(after.content)).pages for image in page.images]
    assert images_before == 0  # the report's bars are drawn, not pictures: any image is the logo
    assert {image.image.size for image in images if image.image is not None} == {(200, 60)}

    # Another officer's report never carries this officer's logo.
    await portal.sign_in("officer-logo-report-other")
    other_clinic = await portal.clinic(officer_id="officer-logo-report-other", name="Bayview Pediatrics")
    other_page = await portal.http.get(f"/clinics/{other_clinic}/report")
    assert other_page.status_code == 200 and url not in other_page.text and not logo_urls(other_page.text)


def test_the_pdf_fetcher_serves_the_logo_it_was_handed_and_nothing_more() -> None:
    kept = logo.cleaned(png())
    files = {"/logos/abc.png": (kept.image, kept.content_type)}
    fetcher = report.StaticFilesOnly(files)
    answer = fetcher.fetch("https://portal.invalid/logos/abc.png")
    assert (answer.read(), answer.content_type) == (kept.image, "image/png")
    for url in (
        "https://portal.invalid/logos/other.png",
        "https://portal.invalid/logos/abc.png?x=1",
        "https://elsewhere.example/logos/abc.png",
    ):
        with pytest.raises(ValueError, match="only the portal's own static files"):
            fetcher.fetch(url)
