"""Pages and static files of web/: the embeddable chat widget (/widget/widget.js), its
demo page (/demo), the hotline agents' guide (/hotline), the staff console (/staff), the
签收单 it prints for an organisation (/staff/applications/{number}/receipt) and the API's own
page (/docs).
Only the files listed here are served; the socket.io browser client comes from
`npm install --prefix web`. Each page names what it may load (Content-Security-Policy)."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from app.api.deps import PrincipalDep, SessionDep, SettingsDep
from app.api.params import ApplicationNumber
from app.core.config import REPO_ROOT
from app.core.csp import connect_sources, inline_hashes, policy
from app.core.errors import not_found
from app.services.applications import application_by_number
from app.services.documents import render_receipt
from app.services.work_queue import application_office_code

WEB_DIR = REPO_ROOT / "web"
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
NO_CACHE = {"Cache-Control": "no-cache"}
# Swagger UI's files come from its CDN, as FastAPI's page has them (the browser loads them).
SWAGGER_CDN = "https://cdn.jsdelivr.net"

ASSETS: dict[str, tuple[Path, str]] = {
    "/widget/widget.js": (WEB_DIR / "widget" / "widget.js", "text/javascript; charset=utf-8"),
    "/widget/widget.css": (WEB_DIR / "widget" / "widget.css", "text/css; charset=utf-8"),
    "/widget/socket.io.min.js": (WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
                                 "text/javascript; charset=utf-8"),
    "/hotline/hotline.js": (WEB_DIR / "hotline" / "hotline.js", "text/javascript; charset=utf-8"),
    "/hotline/hotline.css": (WEB_DIR / "hotline" / "hotline.css", "text/css; charset=utf-8"),
    "/staff/console.js": (WEB_DIR / "console" / "console.js", "text/javascript; charset=utf-8"),
    "/staff/api.js": (WEB_DIR / "console" / "api.js", "text/javascript; charset=utf-8"),
    "/staff/views.js": (WEB_DIR / "console" / "views.js", "text/javascript; charset=utf-8"),
    "/staff/console.css": (WEB_DIR / "console" / "console.css", "text/css; charset=utf-8"),
}

router = APIRouter(include_in_schema=False)


def _asset_route(path: Path, media_type: str):
    def serve() -> FileResponse:
        if not path.is_file():
            raise not_found("该文件不存在（网页组件尚未安装）。")
        # Embedding pages on other origins load the widget's files too.
        return FileResponse(path, media_type=media_type,
                            headers={**NO_CACHE, "Access-Control-Allow-Origin": "*"})
    return serve


for _url, (_path, _media_type) in ASSETS.items():
    router.add_api_route(_url, _asset_route(_path, _media_type), methods=["GET"])


@router.get("/demo", response_class=HTMLResponse)
def demo(settings: SettingsDep) -> HTMLResponse:
    """A fictional government page (marked 示例) with the widget's one script tag."""
    rasa_url = settings.rasa_public_url or settings.rasa_url or DEFAULT_RASA_URL
    page = (WEB_DIR / "demo" / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{RASA_URL}}", html.escape(rasa_url, quote=True))
    # The widget talks to Rasa from the browser: its origin, over HTTP and socket.io's websocket.
    csp = policy(script_src="'self'", style_src=f"'self' {inline_hashes(page, 'style')}".strip(),
                 connect_src=f"'self' {connect_sources(rasa_url)}".strip(), img_src="'self' data:")
    return HTMLResponse(page, headers={**NO_CACHE, "Content-Security-Policy": csp})


# The hotline agent and the staff console: own scripts and styles, calls to this origin only.
OWN_PAGE_CSP = policy(script_src="'self'", style_src="'self'", connect_src="'self'", img_src="'self' data:",
                      form_action="'self'")


def _own_page(relative: str) -> HTMLResponse:
    return HTMLResponse((WEB_DIR / relative).read_text(encoding="utf-8"),
                        headers={**NO_CACHE, "Content-Security-Policy": OWN_PAGE_CSP})


@router.get("/hotline", response_class=HTMLResponse)
def hotline() -> HTMLResponse:
    """The agent signs in or types the staff token here."""
    return _own_page("hotline/index.html")


@router.get("/staff", response_class=HTMLResponse)
def staff_console() -> HTMLResponse:
    return _own_page("console/index.html")


@router.get("/staff/applications/{number}/receipt", response_class=HTMLResponse)
def organization_receipt(number: ApplicationNumber, session: SessionDep, principal: PrincipalDep) -> HTMLResponse:
    """The 签收单 of an organisation's application, print-ready A4, for a signed-in account of its
    office (or the staff token); the console's 打印签收单 opens it."""
    app = application_by_number(session, number)
    principal.check_office(application_office_code(session, app))
    if app.kind != "organization":
        raise not_found("只有单位领取的申请有签收单。")
    page = render_receipt(session, app)
    csp = policy(style_src=inline_hashes(page, "style"), script_src=inline_hashes(page, "script"),
                 img_src="'self' data:")
    return HTMLResponse(page, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """FastAPI's Swagger UI page, allowed its CDN and its one inline script, nothing else."""
    page = get_swagger_ui_html(openapi_url=request.scope.get("root_path", "") + request.app.openapi_url,
                               title=f"{request.app.title} - Swagger UI", swagger_favicon_url="data:,")
    body = page.body.decode()
    csp = policy(script_src=f"{SWAGGER_CDN} {inline_hashes(body, 'script')}",
                 style_src=f"{SWAGGER_CDN} 'unsafe-inline'", img_src="'self' data:", connect_src="'self'")
    return HTMLResponse(body, headers={"Content-Security-Policy": csp})
