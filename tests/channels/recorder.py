"""A loopback stand-in for WeChat's server API that records what it is sent.

    GET  /cgi-bin/token?grant_type=client_credential&appid=..&secret=..
         -> {"access_token": ..., "expires_in": 7200}  (errcode 40013/40125 when wrong)
    POST /cgi-bin/message/custom/send?access_token=..    -> records the JSON;
         {"errcode": 0} or 45015 for the OpenIDs in `out_of_window`
    POST /cgi-bin/message/template/send?access_token=..  -> records the JSON; {"errcode": 0}
    Both sends answer 43004 (require subscribe) for the OpenIDs in `unsubscribed`.

A wrong access token gets 40001, as WeChat answers. Runs in a thread of the test
process (`Recorder`), or alone for manual and end-to-end runs:

    python tests/channels/recorder.py --port 8900 --appid wx.. --secret ..
    # then api_base_url: http://127.0.0.1:8900/cgi-bin/
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Set
from urllib.parse import parse_qs, urlsplit

CUSTOM_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
TOKEN = "/cgi-bin/token"


class Recorder:
    def __init__(self, appid: str, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.appid = appid
        self.secret = secret
        self.access_token = secrets.token_urlsafe(24)
        self.out_of_window: Set[str] = set()
        self.unsubscribed: Set[str] = set()
        self.token_requests = 0
        self.calls: List[Dict[str, Any]] = []  # {"path": ..., "json": ...}
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/cgi-bin/"

    def start(self) -> "Recorder":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sent(self, path: str) -> List[Dict[str, Any]]:
        with self._changed:
            return [call["json"] for call in self.calls if call["path"] == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> List[Dict[str, Any]]:
        """Block until `count` calls to `path` were recorded (call it from a thread)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [call["json"] for call in self.calls if call["path"] == path]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._changed.wait(remaining)

    def _record(self, path: str, body: Dict[str, Any]) -> None:
        with self._changed:
            self.calls.append({"path": path, "json": body})
            self._changed.notify_all()

    def _handler(self) -> type:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, body: Dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path != TOKEN:
                    return self._json({"errcode": 404, "errmsg": "not found"}, 404)
                recorder.token_requests += 1
                if query.get("appid") != recorder.appid:
                    return self._json({"errcode": 40013, "errmsg": "invalid appid"})
                if query.get("secret") != recorder.secret:
                    return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                self._json({"access_token": recorder.access_token, "expires_in": 7200})

            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length).decode("utf-8") or "{}")
                if url.path not in (CUSTOM_SEND, TEMPLATE_SEND):
                    return self._json({"errcode": 404, "errmsg": "not found"}, 404)
                if query.get("access_token") != recorder.access_token:
                    return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                recorder._record(url.path, body)
                if body.get("touser") in recorder.unsubscribed:
                    return self._json({"errcode": 43004, "errmsg": "require subscribe"})
                if url.path == CUSTOM_SEND and body.get("touser") in recorder.out_of_window:
                    return self._json({"errcode": 45015, "errmsg": "response out of time limit"})
                reply: Dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
                if url.path == TEMPLATE_SEND:
                    reply["msgid"] = len(recorder.calls)
                self._json(reply)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--appid", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--out-of-window", nargs="*", default=[], help="OpenIDs answered 45015")
    args = parser.parse_args()
    recorder = Recorder(args.appid, args.secret, args.host, args.port)
    recorder.out_of_window.update(args.out_of_window)
    print(f"recording WeChat API calls at {recorder.base_url}", flush=True)
    recorder.start()
    last = 0
    try:
        while True:
            time.sleep(0.5)
            for call in recorder.calls[last:]:
                print(json.dumps(call, ensure_ascii=False), flush=True)
            last = len(recorder.calls)
    except KeyboardInterrupt:
        recorder.stop()


if __name__ == "__main__":
    main()
