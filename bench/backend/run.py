"""Backend benchmark: status look-ups and list imports against the real server on a large database.

Run from the repository root with the backend's Python:

    .venv-backend/bin/python -m bench.backend.run        # SQLite, 1,000,000 certificates
    .venv-backend/bin/python -m bench.backend.run --certificates 20000 --import-rows 5000   # quick smoke
    DATABASE_URL=postgresql+psycopg://postgres@/postgres?host=/tmp&port=55432 .venv-backend/bin/python -m bench.backend.run
    .venv-backend/bin/python -m bench.backend.run --start-postgres   # throwaway PostgreSQL 15 cluster

(`.venv-backend/bin/python bench/backend/run.py` works as well, from any folder.) What it does:

1. makes a fresh database: a SQLite file in a temporary directory, or, when DATABASE_URL names
   a PostgreSQL server, a new database `bench_<random>` on that server (dropped at the end);
   migrates it (app.prestart.migrate) and loads the demo offices (app.services.offices);
2. bulk-loads N certificates (set-up, not measured) with valid GB 11643 ID numbers across
   batches and offices: most on a published notice (ready, some collected or with a mail/proxy
   application), the rest pending;
3. starts the real server (uvicorn --factory app.main:create_app, one worker, a free loopback
   port, high look-up limits) and measures POST /api/v1/status sequentially on one keep-alive
   connection and from several client threads, then POST /api/v1/staff/lists with a CSV and an
   XLSX file (status latency is probed while the XLSX import runs);
4. prints a table and writes the figures to reports/bench-backend-<dbkind>.json at the
   repository root (git-ignored);
5. stops the server and removes the database and temporary files in every case; a watchdog
   ends the run after --time-limit seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO_ROOT / "backend"
REPORTS_DIR = REPO_ROOT / "reports"
if str(BACKEND_DIR) not in sys.path:  # the backend's `app` package
    sys.path.insert(0, str(BACKEND_DIR))

import sqlalchemy  # noqa: E402
from sqlalchemy import Engine, create_engine, func, make_url, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.core.db import make_engine  # noqa: E402
from pickup_rules.identity import with_check_digit as id_with_check_digit  # noqa: E402

from app.demo import CITIES, GIVEN, OCCUPATIONS, SURNAMES, demo_offices, list_csv  # noqa: E402
from app.models import (  # noqa: E402
    Application,
    ApplicationStep,
    AssessmentBatch,
    Certificate,
    CollectionRecord,
    NoticeBatch,
    Office,
    PickupNotice,
)
from app.prestart import migrate  # noqa: E402
from app.services.lists import HEADER  # noqa: E402
from app.services.offices import upsert_offices  # noqa: E402

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DEFAULT_CERTIFICATES = 1_000_000
DEFAULT_IMPORT_ROWS = 100_000
TARGET_STATUS_P99_MS = 20.0
TARGET_IMPORT_SECONDS_PER_100K = 30.0
LEVELS = ["五级", "四级", "三级", "二级"]
# How list files spell levels in the wild; the importer maps them to the official names.
LEVEL_SPELLINGS = {"五级": ["五级", "初级", "5级"], "四级": ["四级", "中级", "4级"],
                   "三级": ["三级", "高级", "3级"], "二级": ["二级", "技师", "2级"]}
DISTRICTS = [district for _city, district, _area in CITIES] + ["330110"]
BATCH_SIZE = 500  # certificates per (batch_no, occupation, level)
BATCHES_PER_NUMBER = 4  # (occupation, level) pairs under one 鉴定批次号
PUBLISHED_SHARE = 0.9
SECOND_CERTIFICATE_SHARE = 0.1
APPLICATION_SHARE = 0.02  # of ready certificates
COLLECTED_SHARE = 0.05  # of ready certificates
LOAD_CHUNK = 50_000


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- people and data


class People:
    """Fictional holders with valid ID numbers, none repeated."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def name(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def new(self) -> tuple[str, str]:
        rng = self.rng
        while True:
            district = rng.choice(DISTRICTS)
            year = rng.randint(1965, 2005)
            birth = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
            id_number = id_with_check_digit(f"{district}{birth:%Y%m%d}{rng.randrange(1000):03d}")
            if id_number in self.used:
                continue
            self.used.add(id_number)
            return self.name(), id_number


class Database:
    """A fresh database for this run, removed again by drop()."""

    def __init__(self, tmp: Path, database_url: str | None) -> None:
        self.kind = "sqlite"
        self._admin_url: str | None = None
        self._name: str | None = None
        if not database_url:
            self.url = f"sqlite:///{tmp / 'bench.db'}"
            self.path: Path | None = tmp / "bench.db"
            return
        parsed = make_url(database_url)
        if not parsed.drivername.startswith("postgresql"):
            raise SystemExit(f"DATABASE_URL must be PostgreSQL (or unset for SQLite), not {parsed.drivername}")
        self.kind, self.path = "postgresql", None
        self._name = f"bench_{secrets.token_hex(4)}"
        # Swap the database name textually: render_as_string() would percent-encode a socket
        # directory (host=%2Ftmp), which Alembic's config parser rejects as interpolation.
        parts = urlsplit(database_url)
        self._admin_url = urlunsplit(parts._replace(path="/postgres"))
        self._admin(f'CREATE DATABASE "{self._name}"')
        self.url = urlunsplit(parts._replace(path=f"/{self._name}"))

    def _admin(self, sql: str) -> None:
        engine = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def size_mb(self, engine: Engine) -> float:
        if self.kind == "sqlite":
            files = [self.path, Path(f"{self.path}-wal")]
            return round(sum(f.stat().st_size for f in files if f.exists()) / 2**20, 1)
        with engine.connect() as conn:
            return round(conn.scalar(text("SELECT pg_database_size(current_database())")) / 2**20, 1)

    def drop(self) -> None:
        if self._name:
            self._admin(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
            self._name = None


def _bulk(conn: sqlalchemy.Connection, table: sqlalchemy.Table, rows: list[dict]) -> None:
    """Set-up only: COPY on PostgreSQL, a Core executemany on SQLite. Rows are keyed by column
    name, so columns added to the schema later take their defaults."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        return
    conn.execute(table.insert(), rows)


def load_data(db: Database, count: int, rng: random.Random, people: People, today: dt.date) -> dict:
    """Offices through the service, then `count` certificates and their history by bulk insert."""
    started = time.perf_counter()
    engine = make_engine(db.url)
    if db.kind == "sqlite":
        @sqlalchemy.event.listens_for(engine, "connect")
        def _fast_load(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA cache_size=-262144")
            cur.execute("PRAGMA synchronous=OFF")
            cur.close()

    with Session(engine) as session:
        upsert_offices(session, demo_offices())
        session.commit()
        offices = [(o.id, o.code) for o in session.scalars(
            select(Office).where(Office.level.in_(("市", "县"))).order_by(Office.code))]

    now = dt.datetime.now(dt.timezone.utc)
    holders: list[tuple[str, str]] = []  # (name, id_number) of every certificate holder
    pending_holders: list[int] = []  # indexes into holders of holders with a pending certificate
    batches, notices, notice_batches = [], [], []
    certs, applications, steps, collections = [], [], [], []
    counts = Counter()
    cert_id = batch_id = notice_id = app_id = step_id = 0
    batch_numbers = math.ceil(count / (BATCH_SIZE * BATCHES_PER_NUMBER))
    made = 0
    has_notice_id = "notice_id" in Certificate.__table__.c

    def flush(conn: sqlalchemy.Connection, final: bool = False) -> None:
        # Parents first: the foreign keys are checked on SQLite (PRAGMA foreign_keys=ON).
        if not (final or len(certs) >= LOAD_CHUNK):
            return
        for table, rows in ((AssessmentBatch.__table__, batches), (PickupNotice.__table__, notices),
                            (NoticeBatch.__table__, notice_batches), (Certificate.__table__, certs),
                            (Application.__table__, applications), (ApplicationStep.__table__, steps),
                            (CollectionRecord.__table__, collections)):
            if rows:
                _bulk(conn, table, rows)
                counts[table.name] += len(rows)
                rows.clear()

    with engine.begin() as conn:
        for number in range(batch_numbers):
            office_id, office_code = offices[number % len(offices)]
            batch_no = f"JD{today.year - 1 - number % 2}{office_code[2:4]}{number:05d}"
            published = number % 10 < PUBLISHED_SHARE * 10  # every tenth batch number is pending
            national = rng.random() < 0.1
            blanks_on = today - dt.timedelta(days=rng.randrange(5, 60)) if national else None
            if published:
                notice_id += 1
                published_on = today - dt.timedelta(days=rng.randrange(1, 700))
                notices.append({"id": notice_id, "office_id": office_id, "title": f"领取证书通知（{batch_no}）",
                                "published_on": published_on, "created_at": now})
            pairs = rng.sample([(o, lv) for o in OCCUPATIONS for lv in LEVELS], BATCHES_PER_NUMBER)
            for occupation, level in pairs:
                if made >= count:
                    break
                batch_id += 1
                batches.append({"id": batch_id, "batch_no": batch_no, "occupation": occupation, "level": level,
                                "exam_type": "national" if national else "local",
                                "blanks_arrived_on": blanks_on, "office_id": office_id})
                if published:
                    notice_batches.append({"notice_id": notice_id, "batch_id": batch_id})
                for _ in range(min(BATCH_SIZE, count - made)):
                    made += 1
                    cert_id += 1
                    if holders and rng.random() < SECOND_CERTIFICATE_SHARE:
                        holder = rng.randrange(len(holders))
                    else:
                        holders.append(people.new())
                        holder = len(holders) - 1
                    name, id_number = holders[holder]
                    state = "ready" if published else "pending"
                    if not published:
                        pending_holders.append(holder)
                    elif rng.random() < COLLECTED_SHARE:
                        state = "collected"
                        collections.append({
                            "id": len(collections) + counts["collection_records"] + 1, "certificate_id": cert_id,
                            "application_id": None, "method": "本人", "collector_name": name,
                            "collected_at": now, "receipt_signed": True, "recorded_by": "staff"})
                    elif rng.random() < APPLICATION_SHARE:
                        app_id += 1
                        kind = rng.choice(("mail", "proxy"))
                        app_state = rng.choice(("applied", "accepted", "reviewing", "completed",
                                                "delivered", "rejected"))
                        if app_state == "delivered":
                            state = "mailed"
                        applications.append({
                            "id": app_id, "number": f"SQ{today:%Y%m%d}{app_id:07d}", "kind": kind,
                            "state": app_state, "idempotency_key": f"bench-{app_id:09d}",
                            "request_hash": secrets.token_hex(32), "access_token": secrets.token_hex(16),
                            "certificate_id": cert_id, "batch_id": None, "applicant_name": name,
                            "applicant_id_number": id_number,
                            "phone": "13800000000" if kind == "mail" else None,
                            "address": "杭州市示例路1号（示例地址）" if kind == "mail" else None,
                            "proxy_name": "代领人" if kind == "proxy" else None,
                            "proxy_id_number": None, "organization_name": None, "headcount": None,
                            "visit_date": None, "reason": "材料不全" if app_state == "rejected" else None,
                            "delivery_due_on": today + dt.timedelta(days=7), "delivery_due_estimated": False,
                            "channel": "web", "created_at": now})
                        for step_state in ("applied", app_state) if app_state != "applied" else ("applied",):
                            step_id += 1
                            steps.append({"id": step_id, "application_id": app_id, "state": step_state,
                                          "at": now, "actor": "staff", "reason": None})
                    cert = {"id": cert_id, "holder_name": name, "id_number": id_number,
                            "certificate_no": f"ZS{cert_id:010d}", "occupation": occupation, "level": level,
                            "batch_id": batch_id, "office_id": office_id, "state": state, "imported_at": now}
                    if has_notice_id:  # certificates remember the notice that published them
                        cert["notice_id"] = notice_id if published else None
                    certs.append(cert)
                    if len(certs) >= LOAD_CHUNK:
                        flush(conn)
        flush(conn, final=True)
        if db.kind == "postgresql":
            for table in ("assessment_batches", "pickup_notices", "certificates", "applications",
                          "application_steps", "collection_records", "offices"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"))
    with engine.connect() as conn:
        if db.kind == "postgresql":
            # Autovacuum would analyse the new tables within a minute or so; do it now.
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        loaded = conn.scalar(select(func.count()).select_from(Certificate))
    assert loaded == count, (loaded, count)
    summary = {
        "certificates": loaded,
        "holders": len(holders),
        "batches": counts["assessment_batches"],
        "notices": counts["pickup_notices"],
        "applications": counts["applications"],
        "collections": counts["collection_records"],
        "pending_certificates": len(pending_holders),
        "load_seconds": round(time.perf_counter() - started, 1),
        "db_size_mb": db.size_mb(engine),
    }
    engine.dispose()
    return {"summary": summary, "holders": holders, "pending_holders": pending_holders,
            "offices": offices}


# --------------------------------------------------------------------------- server and client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, db_url: str, tmp: Path, staff_token: str) -> None:
        self.port = free_port()
        self.log_path = tmp / "server.log"
        env = {**os.environ, "DATABASE_URL": db_url, "STAFF_TOKEN": staff_token,
               "ENVIRONMENT": "production", "LOOKUP_LIMIT_PER_CLIENT": "1000000000",
               "LOOKUP_MISSES_PER_CLIENT": "1000000000", "LOOKUP_MISSES_PER_CLIENT_ID": "1000000000",
               "LOAD_DEMO_DATA": "false"}
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "1", "--no-access-log", "--log-level", "warning",
             "--forwarded-allow-ips", ""],
            cwd=BACKEND_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, timeout: float = 120) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


JSON_HEADERS = {"Content-Type": "application/json"}
STATUS_PATH = "/api/v1/status"


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def latency_summary(latencies: list[float], wall: float, statuses: Counter) -> dict:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "requests": len(ms),
        "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(ms[-1], 2) if ms else None,
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else None,
        "requests_per_s": round(len(ms) / wall, 1) if wall else None,
        "wall_s": round(wall, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def measure_health(server: Server, n: int) -> dict:
    """GET /api/v1/health (a session and SELECT 1): the framework's floor under every request."""
    client = Client(server.port)
    latencies, statuses = [], Counter()
    try:
        for _ in range(50):
            client.get("/api/v1/health")
        cpu0, t0 = server.cpu_seconds(), time.perf_counter()
        for _ in range(n):
            s0 = time.perf_counter()
            status, _ = client.get("/api/v1/health")
            latencies.append(time.perf_counter() - s0)
            statuses[status] += 1
        wall = time.perf_counter() - t0
    finally:
        client.close()
    result = latency_summary(latencies, wall, statuses)
    result["threads"] = 1
    result["server_cpu_ms_per_request"] = round((server.cpu_seconds() - cpu0) * 1000 / n, 2)
    return result


def status_bodies(rng: random.Random, holders: list[tuple[str, str]], people: People, n: int,
                  miss_share: float) -> list[tuple[bytes, int]]:
    """(request body, expected status): existing pairs, wrong names, and unknown ID numbers."""
    bodies = []
    for _ in range(n):
        r = rng.random()
        if r < miss_share / 2:
            name, id_number = rng.choice(holders)[0] + "某", rng.choice(holders)[1]
            expected = 404
        elif r < miss_share:
            name, id_number = people.new()
            expected = 404
        else:
            name, id_number = rng.choice(holders)
            expected = 200
        bodies.append((json.dumps({"name": name, "id_number": id_number}, ensure_ascii=False).encode(),
                       expected))
    return bodies


def run_status(port: int, bodies: list[tuple[bytes, int]], threads: int) -> tuple[list[float], float, Counter]:
    """Send every body once, split over `threads` keep-alive connections; return latencies."""
    parts = [bodies[i::threads] for i in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    statuses: list[Counter] = [Counter() for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def worker(i: int) -> None:
        client = Client(port)
        try:
            barrier.wait()
            perf = time.perf_counter
            for body, expected in parts[i]:
                t0 = perf()
                status, _ = client.post(STATUS_PATH, body, JSON_HEADERS)
                latencies[i].append(perf() - t0)
                statuses[i][status if status == expected else f"{status}!={expected}"] += 1
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            client.close()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return [x for part in latencies for x in part], wall, sum(statuses, Counter())


def measure_status(server: Server, bodies: list[tuple[bytes, int]], threads: int) -> dict:
    cpu0 = server.cpu_seconds()
    latencies, wall, statuses = run_status(server.port, bodies, threads)
    result = latency_summary(latencies, wall, statuses)
    result["threads"] = threads
    result["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    result["server_cpu_ms_per_request"] = round((server.cpu_seconds() - cpu0) * 1000 / len(bodies), 2)
    return result


# --------------------------------------------------------------------------- list files


def import_rows(rng: random.Random, people: People, holders: list[tuple[str, str]], n: int,
                tag: str, today: dt.date) -> tuple[list[tuple], list[tuple[str, str]]]:
    """A published list of n new certificates: 10 batch numbers, 4 occupation/level pairs each."""
    batch_nos = [f"{tag}{today.year}{k:04d}" for k in range(10)]
    pairs = [(OCCUPATIONS[k], LEVELS[k % len(LEVELS)]) for k in range(4)]
    rows, new_people = [], []
    for i in range(n):
        if rng.random() < 0.05:
            name, id_number = rng.choice(holders)
        else:
            name, id_number = people.new()
            new_people.append((name, id_number))
        occupation, level = pairs[i % len(pairs)]
        rows.append((name, id_number, f"{tag}{today.year}{i:08d}", occupation,
                     rng.choice(LEVEL_SPELLINGS[level]), batch_nos[i * len(batch_nos) // n]))
    return rows, new_people


def xlsx_file(rows: list[tuple]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def multipart(fields: dict[str, str], filename: str, content_type: str, data: bytes) -> tuple[bytes, str]:
    boundary = f"bench{secrets.token_hex(12)}"
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode())
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def measure_import(server: Server, staff_token: str, office_code: str, filename: str,
                   content_type: str, data: bytes, rows: int, timeout: float,
                   probe_bodies: list[tuple[bytes, int]] | None = None) -> dict:
    body, ctype = multipart({"office_code": office_code, "exam_type": "local"}, filename, content_type, data)
    headers = {"Content-Type": ctype, "Authorization": f"Bearer {staff_token}"}
    probe: dict = {}
    done = threading.Event()

    def prober() -> None:
        # Light, sequential status look-ups while the import runs: does the import stall them?
        client = Client(server.port, timeout=timeout)
        latencies, statuses = [], Counter()
        t0 = time.perf_counter()
        try:
            i = 0
            while not done.is_set():
                payload, expected = probe_bodies[i % len(probe_bodies)]
                i += 1
                s0 = time.perf_counter()
                status, _ = client.post(STATUS_PATH, payload, JSON_HEADERS)
                latencies.append(time.perf_counter() - s0)
                statuses[status if status == expected else f"{status}!={expected}"] += 1
                time.sleep(0.02)
        finally:
            client.close()
        probe.update(latency_summary(latencies, time.perf_counter() - t0, statuses))

    thread = None
    if probe_bodies:
        thread = threading.Thread(target=prober, daemon=True)
        thread.start()
        time.sleep(0.5)
    cpu0 = server.cpu_seconds()
    client = Client(server.port, timeout=timeout)
    t0 = time.perf_counter()
    try:
        status, response = client.post("/api/v1/staff/lists", body, headers)
    finally:
        seconds = time.perf_counter() - t0
        client.close()
        done.set()
        if thread:
            thread.join(timeout)
    cpu = server.cpu_seconds() - cpu0
    try:
        payload = json.loads(response)
    except ValueError:
        payload = {"raw": response[:500].decode(errors="replace")}
    if status != 201 or payload.get("imported") != rows:
        raise RuntimeError(f"import of {filename} failed: HTTP {status}: {json.dumps(payload, ensure_ascii=False)[:800]}")
    result = {"rows": rows, "file_mb": round(len(data) / 2**20, 2), "seconds": round(seconds, 2),
              "rows_per_s": round(rows / seconds), "server_cpu_s": round(cpu, 2),
              "seconds_per_100k_rows": round(seconds * 100_000 / rows, 2),
              "batches": len(payload.get("batches", [])),
              "loadavg_1m_after": round(os.getloadavg()[0], 2)}
    if probe:
        result["status_probe_during_import"] = probe
    return result


def check_lookup(port: int, name: str, id_number: str, state: str) -> None:
    client = Client(port)
    try:
        status, body = client.post(STATUS_PATH, json.dumps({"name": name, "id_number": id_number}).encode(),
                                   JSON_HEADERS)
    finally:
        client.close()
    states = [c["state"] for c in json.loads(body).get("certificates", [])] if status == 200 else []
    if state not in states:
        raise RuntimeError(f"look-up of an imported holder: HTTP {status}, states {states}, expected {state}")


# --------------------------------------------------------------------------- PostgreSQL helper


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory with default (durable) settings."""

    def __init__(self, root: Path) -> None:
        self.root = root / "pg"
        self.data, self.sock = self.root / "data", self.root / "sock"
        self.sock.mkdir(parents=True)
        self.as_pg = []
        if os.geteuid() == 0:
            for path in (self.root, self.sock):
                shutil.chown(path, "postgres", "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        subprocess.run([*self.as_pg, str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                        "-U", "postgres", "-E", "UTF8", "--no-locale"], check=True, capture_output=True)
        subprocess.run([*self.as_pg, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                        str(self.root / "server.log"), "-o",
                        f"-p {self.port} -k {self.sock} -c listen_addresses=''", "-w", "start"],
                       check=True, capture_output=True)
        self.url = f"postgresql+psycopg://postgres@/postgres?host={self.sock}&port={self.port}"

    def stop(self) -> None:
        subprocess.run([*self.as_pg, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
                       capture_output=True)


# --------------------------------------------------------------------------- main


def print_table(results: dict) -> None:
    rows = [("set-up", f"{results['setup']['certificates']:,} certificates loaded in "
                       f"{results['setup']['load_seconds']} s, database {results['setup']['db_size_mb']} MB")]
    for key, label in (("health_baseline", "health (floor)"), ("status_sequential", "status, 1 connection"),
                       ("status_concurrent", "status, concurrent")):
        s = results.get(key)
        if s:
            rows.append((label, f"p50 {s['p50_ms']} / p95 {s['p95_ms']} / p99 {s['p99_ms']} / max "
                                f"{s['max_ms']} ms, {s['requests_per_s']} req/s ({s['requests']} requests, "
                                f"{s['threads']} thread(s), server CPU {s['server_cpu_ms_per_request']} ms/req)"))
    for key, label in (("import_csv", "import CSV"), ("import_xlsx", "import XLSX")):
        s = results.get(key)
        if s:
            rows.append((label, f"{s['rows']:,} rows in {s['seconds']} s = {s['rows_per_s']:,} rows/s "
                                f"(server CPU {s['server_cpu_s']} s, file {s['file_mb']} MB)"))
            probe = s.get("status_probe_during_import")
            if probe:
                rows.append(("  status meanwhile", f"{probe['requests']} look-ups, p50 {probe['p50_ms']} / "
                                                   f"max {probe['max_ms']} ms"))
        elif key in results.get("skipped", {}):
            rows.append((label, f"skipped: {results['skipped'][key]}"))
    for name, t in results["targets"].items():
        rows.append((f"target {name}", f"{'met' if t['met'] else 'MISSED'}: {t['measured']} (target < {t['target']})"))
    width = max(len(r[0]) for r in rows)
    print(f"\nBackend benchmark, {results['db']} ({results['config']['certificates']:,} certificates)")
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=DEFAULT_CERTIFICATES)
    parser.add_argument("--import-rows", type=int, default=DEFAULT_IMPORT_ROWS)
    parser.add_argument("--status-requests", type=int, default=2000, help="sequential look-ups measured")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4, help="client threads of the concurrent run")
    parser.add_argument("--concurrent-requests", type=int, default=2000)
    parser.add_argument("--miss-share", type=float, default=0.1, help="share of look-ups that match nothing")
    parser.add_argument("--no-xlsx", action="store_true", help="skip the XLSX import")
    parser.add_argument("--start-postgres", action="store_true",
                        help=f"run against a throwaway PostgreSQL cluster ({PG_BIN})")
    parser.add_argument("--time-limit", type=float, default=1800, help="seconds before the run is ended")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="results file (default reports/bench-backend-<dbkind>.json)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    deadline = started + args.time_limit
    rng = random.Random(args.seed)
    people = People(rng)
    today = dt.date.today()
    tmp = Path(tempfile.mkdtemp(prefix="bench-backend-"))
    os.chmod(tmp, 0o755)
    state: dict = {"server": None, "db": None, "pg": None, "cleaned": False, "timed_out": False}
    cleanup_lock = threading.Lock()

    def cleanup() -> None:
        # Whoever comes second (main thread or watchdog) waits until the first has finished.
        with cleanup_lock:
            if state["cleaned"]:
                return
            state["cleaned"] = True
            _cleanup_steps()

    def _cleanup_steps() -> None:
        for step in (lambda: state["server"] and state["server"].stop(),
                     lambda: state["db"] and state["db"].drop(),
                     lambda: state["pg"] and state["pg"].stop(),
                     lambda: shutil.rmtree(tmp, ignore_errors=True)):
            try:
                step()
            except Exception as exc:  # noqa: BLE001
                log(f"clean-up step failed: {exc!r}")

    def watchdog() -> None:
        log(f"time limit of {args.time_limit:.0f} s reached: stopping")
        state["timed_out"] = True
        cleanup()
        os._exit(124)

    timer = threading.Timer(args.time_limit, watchdog)
    timer.daemon = True
    timer.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    try:
        database_url = os.environ.get("DATABASE_URL")
        if args.start_postgres:
            log("starting a throwaway PostgreSQL cluster")
            state["pg"] = ThrowawayPostgres(tmp)
            database_url = state["pg"].url
        db = state["db"] = Database(tmp, database_url)
        log(f"database: {db.kind}; migrating")
        migrate(db.url)
        log(f"loading {args.certificates:,} certificates")
        data = load_data(db, args.certificates, rng, people, today)
        log(f"loaded: {data['summary']}")
        holders = data["holders"]

        staff_token = secrets.token_urlsafe(32)
        server = state["server"] = Server(db.url, tmp, staff_token)
        server.wait_ready()
        log(f"server up on port {server.port}")
        results: dict = {
            "benchmark": "backend", "db": db.kind,
            "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
                        "cpus": os.cpu_count(), "loadavg_at_start": list(os.getloadavg()),
                        "server": "uvicorn, 1 worker, access log off"},
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "setup": data["summary"], "skipped": {},
        }

        log("health: 500 sequential (framework floor)")
        results["health_baseline"] = measure_health(server, 500)
        n_seq, n_conc = args.status_requests, args.concurrent_requests
        bodies = status_bodies(rng, holders, people, args.warmup + n_seq + n_conc + 500, args.miss_share)
        log(f"status: {args.warmup} warm-up, {n_seq} sequential")
        run_status(server.port, bodies[:args.warmup], 1)
        results["status_sequential"] = measure_status(server, bodies[args.warmup:args.warmup + n_seq], 1)
        log(f"status: {n_conc} over {args.threads} threads")
        results["status_concurrent"] = measure_status(
            server, bodies[args.warmup + n_seq:args.warmup + n_seq + n_conc], args.threads)
        probe_bodies = bodies[args.warmup + n_seq + n_conc:]

        office_code = data["offices"][0][1]
        rows, new_people = import_rows(rng, people, holders, args.import_rows, "CS", today)
        log(f"import: CSV of {args.import_rows:,} rows")
        results["import_csv"] = measure_import(server, staff_token, office_code, "bench.csv", "text/csv",
                                               list_csv(rows), len(rows), timeout=max(60, deadline - time.monotonic()))
        check_lookup(server.port, *new_people[0], "pending")
        results["server_rss_mb_after_csv"] = server.rss_mb()

        if args.no_xlsx:
            results["skipped"]["import_xlsx"] = "--no-xlsx"
        elif deadline - time.monotonic() < 4 * results["import_csv"]["seconds"] + 120:
            results["skipped"]["import_xlsx"] = "not enough time left"
        else:
            rows, new_people = import_rows(rng, people, holders, args.import_rows, "XL", today)
            log(f"import: XLSX of {args.import_rows:,} rows (with a status probe running)")
            results["import_xlsx"] = measure_import(
                server, staff_token, office_code, "bench.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_file(rows),
                len(rows), timeout=max(60, deadline - time.monotonic()), probe_bodies=probe_bodies)
            check_lookup(server.port, *new_people[0], "pending")

        p99 = results["status_sequential"]["p99_ms"]
        per100k = results["import_csv"]["seconds_per_100k_rows"]
        results["targets"] = {
            "status_p99_ms": {"target": TARGET_STATUS_P99_MS, "measured": p99, "met": p99 < TARGET_STATUS_P99_MS},
            "import_seconds_per_100k_rows": {"target": TARGET_IMPORT_SECONDS_PER_100K, "measured": per100k,
                                             "met": per100k < TARGET_IMPORT_SECONDS_PER_100K},
        }
        if "import_xlsx" in results:
            per100k = results["import_xlsx"]["seconds_per_100k_rows"]
            results["targets"]["xlsx_import_seconds_per_100k_rows"] = {
                "target": TARGET_IMPORT_SECONDS_PER_100K, "measured": per100k,
                "met": per100k < TARGET_IMPORT_SECONDS_PER_100K}
        results["total_seconds"] = round(time.monotonic() - started, 1)
        server_log = server.log_tail()
        if server_log:
            results["server_log_tail"] = server_log

        default_name = f"bench-backend-{db.kind}.json"
        if (args.certificates, args.import_rows) != (DEFAULT_CERTIFICATES, DEFAULT_IMPORT_ROWS):
            default_name = f"bench-backend-{db.kind}-{args.certificates}-{args.import_rows}.json"
        out = args.out or REPORTS_DIR / default_name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        print_table(results)
        print(f"\nresults: {out}")
        return 0
    except Exception:
        if state["timed_out"]:
            cleanup()  # waits for the watchdog's clean-up to finish
            log("ended by the time limit; no results written")
            return 124
        if state["server"] is not None:
            log("server log tail:\n" + state["server"].log_tail())
        raise
    finally:
        timer.cancel()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
