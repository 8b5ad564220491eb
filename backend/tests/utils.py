"""Factories: valid ID numbers, list files, and the staff steps that put people on a list."""

from __future__ import annotations

import csv
import io
import itertools

from fastapi.testclient import TestClient

from pickup_rules.identity import with_check_digit

from app.demo import demo_offices
from app.services.lists import HEADER

_serial = itertools.count(1)


def valid_id(district: str = "330106", birth: str = "19900101") -> str:
    return with_check_digit(f"{district}{birth}{next(_serial) % 1000:03d}")


def csv_bytes(rows: list[tuple], header: tuple = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def load_offices(client: TestClient, staff: dict) -> None:
    body = [o.model_dump() for o in demo_offices()]
    assert client.put("/api/v1/staff/offices", json=body, headers=staff).status_code == 200


def import_rows(client: TestClient, staff: dict, rows: list[tuple], *, office_code: str = "330100",
                filename: str = "list.csv", data: bytes | None = None, **form: str):
    return client.post("/api/v1/staff/lists", headers=staff,
                       data={"office_code": office_code, **form},
                       files={"file": (filename, data if data is not None else csv_bytes(rows), "text/csv")})


def publish(client: TestClient, staff: dict, batch_nos: list[str], published_on: str = "2026-09-30",
            office_code: str = "330100"):
    return client.post("/api/v1/staff/notices", headers=staff, json={
        "office_code": office_code, "batch_nos": batch_nos, "published_on": published_on})


def person_on_published_list(client: TestClient, staff: dict, name: str = "测试甲", *,
                             occupation: str = "电工", level: str = "四级",
                             published_on: str = "2026-09-30") -> tuple[str, str, str]:
    """Offices loaded, one certificate imported and published in a batch of its own;
    returns (name, id, certificate number)."""
    if client.get("/api/v1/offices/330100").status_code == 404:
        load_offices(client, staff)
    id_number = valid_id()
    n = next(_serial)
    cert_no, batch = f"ZS{n:08d}", f"JD{n:08d}"
    assert import_rows(client, staff, [(name, id_number, cert_no, occupation, level, batch)]).status_code == 201
    response = publish(client, staff, [batch], published_on=published_on)
    assert response.status_code == 201, response.text
    return name, id_number, cert_no
