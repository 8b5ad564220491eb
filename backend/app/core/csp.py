"""Content-Security-Policy for the pages the backend serves: nothing runs or loads unless a
page names it. Inline <style>/<script> blocks are allowed by their hash, so a page keeps its
own markup and an injected block still does not run."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

STRICT = {
    "default-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
}

_INLINE = re.compile(r"<(?P<tag>script|style)(?P<attrs>[^>]*)>(?P<body>.*?)</(?P=tag)>", re.S | re.I)
_ORIGIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def policy(**directives: str) -> str:
    """STRICT with the page's own directives (`script_src="'self'"` -> `script-src 'self'`)."""
    merged = {**STRICT, **{name.replace("_", "-"): value for name, value in directives.items()}}
    return "; ".join(f"{name} {value}" for name, value in merged.items())


def inline_hashes(html: str, tag: str) -> str:
    """The 'sha256-…' sources of a page's inline <script> or <style> blocks."""
    sources = []
    for match in _INLINE.finditer(html):
        if match["tag"].lower() == tag and "src=" not in match["attrs"].lower():
            digest = hashlib.sha256(match["body"].encode("utf-8")).digest()
            sources.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return " ".join(sources)


def connect_sources(url: str) -> str:
    """An http(s) origin and its websocket twin (socket.io), or nothing for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not _ORIGIN_HOST.fullmatch(parts.netloc):
        return ""
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{parts.scheme}://{parts.netloc} {socket_scheme}://{parts.netloc}"
