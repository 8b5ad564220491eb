"""What the widget and hotline UX tests share: axe-core run in the page, a transcript put in
the widget's storage as a long conversation leaves it, geometry read from the shadow root,
and where screenshots go."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from browser_helpers import open_demo
from pickup_rules import mask_id
from pickup_rules.testing import older_holders
from playwright.sync_api import Page
from servers import REPO, Stack

AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def axe_violations(page: Page, rules: list[str] | None = None) -> list[dict]:
    """axe-core's violations on the page (open shadow roots included). The pages' CSP allows
    own scripts only, so axe's source is evaluated, not added as a <script>."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} missing: npm ci --prefix web")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "rule", "values": rules}} if rules else {}
    result = page.evaluate("async (options) => (await axe.run(document, options)).violations", options)
    return [{"id": v["id"], "impact": v["impact"],
             "nodes": [n["target"] for n in v["nodes"]][:5],
             "summary": [n.get("failureSummary", "")[:200] for n in v["nodes"]][:3]} for v in result]


def screenshot_path(name: str, tmp_path: Path) -> Path:
    """docs/screenshots/<name> when UPDATE_SCREENSHOTS=1 (to refresh the README's figures),
    else the test's temporary folder: a test run leaves the work tree as it was."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS / name
    return tmp_path / name


def storage_prefix(stack: Stack) -> str:
    return f"zjcert-chat:{stack.rasa.url}:"


def long_transcript(turns: int = 14) -> list[dict]:
    """A day's conversation as the widget stores it: older applicants asking, masked IDs."""
    items: list[dict] = []
    for name, id_number in older_holders(turns, seed=1958):
        masked = mask_id(id_number)
        items += [{"who": "user", "text": f"帮{name}问一下，证书领了没有？"},
                  {"who": "bot", "text": f"查询结果（{name}，身份证号 {masked}）：证书已在名单中。"
                                         "领证地点和办公时间以领证通知为准，可拨打12333咨询。"}]
    items.append({"who": "bot", "text": "还有什么可以帮您？（最后一条）"})
    return items


def seed_transcript(page: Page, stack: Stack, items: list[dict], *, open_panel: bool = True) -> None:
    """Put `items` where the widget keeps its transcript (on the demo page's origin)."""
    prefix = storage_prefix(stack)
    page.evaluate("""([prefix, items, open]) => {
        localStorage.setItem(prefix + 'transcript', JSON.stringify(items));
        localStorage.setItem(prefix + 'updated', JSON.stringify(Date.now()));
        localStorage.setItem(prefix + 'open', JSON.stringify(open));
    }""", [prefix, items, open_panel])


def log_position(page: Page) -> dict:
    """The chat log's scroll state, read inside the widget's shadow root."""
    return page.evaluate("""() => {
        const log = document.querySelector('#zjcert-chat').shadowRoot.querySelector('.zjc-log');
        return {top: log.scrollTop, height: log.scrollHeight, client: log.clientHeight};
    }""")


def at_latest(position: dict) -> bool:
    return position["height"] - position["top"] - position["client"] <= 2


def open_fresh_demo(page: Page, stack: Stack, **kwargs) -> None:
    open_demo(page, stack, **kwargs)


def dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


@contextlib.contextmanager
def serve_page(html: str) -> Iterator[str]:
    """A host page of another site on loopback (Chromium refuses loopback scripts to pages it
    thinks public, so not a route)."""
    body = html.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page.html"
    finally:
        server.shutdown()
        server.server_close()


def embedding_page(stack: Stack, rasa_url: str) -> str:
    return ("<!doctype html><html lang=zh-CN><meta charset=utf-8><title>示例</title><main><h1>其他政府网站（示例）</h1></main>"
            f'<script src="{stack.backend.url}/widget/widget.js" data-rasa-url="{rasa_url}" defer></script>')
