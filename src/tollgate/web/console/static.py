"""Static files of the pages (our own stylesheet and scripts, and vendored libraries from the npm registry,
see static/vendor/README.md), and the offline /docs page."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,80}")
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
_FOLDERS = ("console", "vendor")


@cache
def _read(folder: str, name: str) -> bytes | None:
    path = files("tollgate.web").joinpath(f"static/{folder}/{name}")
    return path.read_bytes() if path.is_file() else None


@router.get("/static/{folder}/{name}")
def static_file(folder: str, name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    body = None
    if folder in _FOLDERS and _NAME.fullmatch(name) and suffix in _TYPES:
        body = _read(folder, name)
    if body is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(
        body,
        media_type=_TYPES[suffix],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"},
    )


_DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@router.get("/docs")
def docs_page() -> HTMLResponse:
    """Swagger UI from the vendored swagger-ui-dist: works without internet."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tollgate API</title>'
        '<link rel="stylesheet" href="/static/vendor/swagger-ui.css"></head>'
        '<body><div id="swagger-ui"></div>'
        '<script src="/static/vendor/swagger-ui-bundle.js"></script>'
        '<script src="/static/console/docs.js"></script></body></html>'
    )
    return HTMLResponse(
        body, headers={"Content-Security-Policy": _DOCS_CSP, "X-Content-Type-Options": "nosniff"}
    )
