"""The running backend's error paths, fed ID numbers: no answer and no log line holds one in
full. The session's own check (conftest) reads every server's log after all browser tests; this
one reads the backend's log right after requests that end in errors (bad ids, dates, bodies,
broken JSON, wrong names, refused staff requests), where messages and tracebacks are written."""

from __future__ import annotations

import datetime as dt
import json
import time

import requests
from conftest import FULL_ID
from servers import Stack

from pickup_rules.testing import make_id

DEMO_HOLDER = ("孙丽娟", "330102198503150029")
# Born 1962 in 余杭区 (330110), a district created long after: a real holder's kind of ID.
OLDER_ID = make_id("330110", dt.date(1962, 4, 3), 127)


def hostile_requests(base: str, staff: dict[str, str]) -> list[tuple[str, str, dict]]:
    name, id_number = DEMO_HOLDER
    return [
        ("POST", "/api/v1/status", {"json": {"name": "王依法", "id_number": id_number}}),
        ("POST", "/api/v1/status", {"json": {"name": name, "id_number": OLDER_ID + "0"}}),
        ("GET", f"/api/v1/notices/{id_number}", {}),
        ("GET", f"/api/v1/notices/abc%20{OLDER_ID}", {}),
        ("GET", f"/api/v1/working-days/check?date={id_number}", {}),
        ("GET", f"/api/v1/offices/x{OLDER_ID}", {}),
        ("POST", "/api/v1/applications",
         {"json": {"kind": "mail", "name": name, "id_number": id_number, "phone": id_number,
                   "address": f"杭州市\x00{OLDER_ID}"}, "headers": {"Idempotency-Key": id_number}}),
        ("POST", "/api/v1/applications",
         {"data": '{"kind": "proxy", "id_number": "' + OLDER_ID + '", "name": ',
          "headers": {"Content-Type": "application/json"}}),
        ("POST", "/api/v1/subscriptions",
         {"json": {"name": name, "id_number": OLDER_ID, "channel": "socketio", "conversation_id": id_number}}),
        ("POST", "/api/v1/staff/collections",
         {"json": {"certificate_no": id_number, "method": "代领",
                   "walk_in": {"proxy_name": "张三", "proxy_id_number": OLDER_ID}}, "headers": staff}),
        ("GET", f"/api/v1/staff/applications/{id_number}/deliveries", {"headers": staff}),
        ("POST", "/api/v1/staff/applications/A-1/transitions",
         {"json": {"to": "退回", "reason": f"身份证{OLDER_ID}有误"}, "headers": staff}),
        ("POST", "/api/v1/staff/notices", {"json": {"office_code": id_number}, "headers": {}}),
    ]


def test_error_paths_of_the_backend_never_show_or_log_a_full_id_number(stack: Stack) -> None:
    base = stack.backend.url
    staff = {"Authorization": f"Bearer {stack.staff_token}"}
    log_path = stack.backend.log_path
    before = log_path.stat().st_size
    statuses = []
    for method, path, kwargs in hostile_requests(base, staff):
        answer = requests.request(method, base + path, timeout=15, **kwargs)
        statuses.append((path.split("?")[0][:40], answer.status_code))
        assert answer.status_code < 500, (method, path, answer.status_code, answer.text[:200])
        assert not FULL_ID.search(answer.text), (method, path, answer.text[:300])
        json.loads(answer.text)  # every error is the JSON error model
    # Every request is refused, but a subscription: it answers 201 whoever asks (a stranger
    # learns nothing; nobody is notified unless name and ID match).
    assert [path for path, code in statuses if code < 400] == ["/api/v1/subscriptions"], statuses
    time.sleep(0.5)  # uvicorn writes its access lines after the answer
    written = log_path.read_text(encoding="utf-8", errors="replace")[before:]
    # The requests reached the log (so that the check below reads something) ...
    assert written.count("/api/v1/") >= len(statuses) - 1, written[-2000:]
    # ... and none of its lines holds a full ID number.
    leaks = [match.group()[:6] + "…" for match in FULL_ID.finditer(written)]
    assert not leaks, f"full ID numbers in the backend's log: {leaks}"
