"""Docs pages that work with no internet: every script and style is served by the service.

Swagger UI and Redoc ship inside the fastapi-offline package. The AsyncAPI viewer
(@asyncapi/react-component's standalone bundle) is fetched from npm by `make setup` into
`.local/static/asyncapi` (FAIO_ASYNCAPI_ASSETS_DIR elsewhere, e.g. in the image).
"""

import os
import re
from pathlib import Path

from faststream.specification import Specification
from faststream.specification.asyncapi.site import get_asyncapi_html

DOCS_STATIC_URL = "/static-docs"
ASYNCAPI_STATIC_URL = "/static-asyncapi"
ASYNCAPI_FILES = {"index.js", "default.min.css"}
# The favicons FastStream links point at asyncapi.com; offline they only cost failed requests.
_REMOTE_ICONS = re.compile(r'\s*<link rel="icon"[^>]*https://[^>]*>')


def asyncapi_assets_dir() -> Path:
    configured = os.environ.get("FAIO_ASYNCAPI_ASSETS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / ".local" / "static" / "asyncapi"


def asyncapi_asset_path(name: str) -> Path | None:
    """The viewer file `name`, or None if it is not one of ours or was never fetched."""
    if name not in ASYNCAPI_FILES:
        return None
    path = asyncapi_assets_dir() / name
    return path if path.is_file() else None


def asyncapi_html(specification: Specification) -> str:
    """FastStream's AsyncAPI page, loading the viewer from this service instead of a CDN."""
    page = get_asyncapi_html(
        specification,
        try_it_out_path=None,
        asyncapi_js_url=f"{ASYNCAPI_STATIC_URL}/index.js",
        asyncapi_css_url=f"{ASYNCAPI_STATIC_URL}/default.min.css",
    )
    return _REMOTE_ICONS.sub("", page)
