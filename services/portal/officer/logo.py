"""The officer's optional logo: shown on the public forms their links open and on their reports.

Only PNG or JPEG, told by the bytes (Pillow), never by the name or the browser's content type; SVG
is refused (it can carry script). Each upload is decoded and re-encoded, which drops its metadata
(EXIF, GPS, comments) and anything hidden after the image, and served at a URL made from the
stored bytes' hash: the same URL always means the same image, so browsers may keep it for a year.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import LargeBinary
from sqlmodel import Column, Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import clock
from shared.errors import Refused

MAX_BYTES = 200_000
MAX_PIXELS = (2000, 2000)  # width, height: a logo, not a photo
KINDS = {"PNG": "image/png", "JPEG": "image/jpeg"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


def _now() -> datetime:
    return clock.now()


class PortalOfficerLogo(SQLModel, table=True):
    """One officer's logo, re-encoded. Apart from PortalOfficer so its bytes load only when shown."""

    __tablename__ = "portal_officer_logo"

    officer_id: str = Field(primary_key=True, max_length=100)
    content_type: str = Field(max_length=20)
    sha256: str = Field(index=True, max_length=64)
    image: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    changed_at: datetime = Field(default_factory=_now)


class LogoRefused(Refused):
    """Not a logo the portal keeps; the message says what to upload instead."""


@dataclass(frozen=True)
class CleanLogo:
    content_type: str
    image: bytes


def cleaned(data: bytes) -> CleanLogo:
    """The upload as a re-encoded PNG or JPEG, or LogoRefused saying why."""
    if not data:
        raise LogoRefused("logo: choose a PNG or JPEG file")
    if len(data) > MAX_BYTES:
        raise LogoRefused(f"logo: at most {MAX_BYTES // 1000} KB (this file is {len(data) // 1000} KB)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the two formats are tried: Pillow never parses anything else from an upload.
            with Image.open(io.BytesIO(data), formats=list(KINDS)) as image:
                kind = str(image.format)
                width, height = image.size
                if width > MAX_PIXELS[0] or height > MAX_PIXELS[1]:
                    most, this = f"{MAX_PIXELS[0]} by {MAX_PIXELS[1]}", f"{width} by {height}"
                    raise LogoRefused(f"logo: at most {most} pixels (this one is {this})")
                image.load()
                encoded = _reencoded(image, kind)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise LogoRefused("logo: only a PNG or JPEG image (not SVG, GIF or another file)") from error
    except Image.DecompressionBombWarning as error:
        raise LogoRefused("logo: this image is too large to open") from error
    return CleanLogo(content_type=KINDS[kind], image=encoded)


def _reencoded(image: Image.Image, kind: str) -> bytes:
    """The pixels alone, written afresh: no EXIF, ICC, text chunks or trailing bytes survive."""
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
    else:
        keep = image if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else image.convert("RGBA")
        keep.save(out, format="PNG", optimize=True)
    return out.getvalue()


def url_of(logo: PortalOfficerLogo | None) -> str:
    """Where the logo is served ("" for none): its hash, so a new logo is a new URL."""
    if logo is None:
        return ""
    return f"/logos/{logo.sha256}.{EXTENSIONS[logo.content_type]}"


async def logo_of(session: AsyncSession, officer_id: str | None) -> PortalOfficerLogo | None:
    return await session.get(PortalOfficerLogo, officer_id) if officer_id else None


async def by_hash(session: AsyncSession, sha256: str) -> PortalOfficerLogo | None:
    """A stored logo with these bytes (officers with the same image share its bytes, and its URL)."""
    return (await session.exec(select(PortalOfficerLogo).where(PortalOfficerLogo.sha256 == sha256))).first()


async def keep(session: AsyncSession, officer_id: str, logo: CleanLogo) -> PortalOfficerLogo:
    """The officer's logo is now this one (replacing any before)."""
    record = await session.get(PortalOfficerLogo, officer_id) or PortalOfficerLogo(
        officer_id=officer_id, content_type=logo.content_type, sha256="", image=b""
    )
    record.content_type, record.image = logo.content_type, logo.image
    record.sha256 = hashlib.sha256(logo.image).hexdigest()
    record.changed_at = clock.now()
    session.add(record)
    await session.commit()
    return record


async def remove(session: AsyncSession, officer_id: str) -> bool:
    """No logo any more; False if there was none."""
    record = await session.get(PortalOfficerLogo, officer_id)
    if record is None:
        return False
    await session.delete(record)
    await session.commit()
    return True
