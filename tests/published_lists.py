"""A pickup list imported and its batches' notice published through the staff API, as a centre
does before applicants ask: the browser and cluster suites' set-up (the console pages that do
it by hand are walked in tests/browser/test_console*.py)."""

from __future__ import annotations

from typing import Any, Iterable

import requests


def import_list(base_url: str, staff_token: str, rows: list[str], *, office_code: str = "330100",
                encoding: str = "utf-8", timeout: float = 60) -> dict[str, Any]:
    """`rows` are the file's lines, header (and any title row) included."""
    imported = requests.post(f"{base_url}/api/v1/staff/lists", headers=_staff(staff_token), timeout=timeout,
                             data={"office_code": office_code},
                             files={"file": ("名单.csv", "\n".join(rows).encode(encoding), "text/csv")})
    assert imported.status_code == 201, imported.text
    return imported.json()


def publish_notice(base_url: str, staff_token: str, batch_nos: Iterable[str], *, published_on: str,
                   office_code: str = "330100", timeout: float = 60) -> dict[str, Any]:
    published = requests.post(f"{base_url}/api/v1/staff/notices", headers=_staff(staff_token), timeout=timeout,
                              json={"office_code": office_code, "batch_nos": sorted(set(batch_nos)),
                                    "published_on": published_on})
    assert published.status_code == 201, published.text
    return published.json()


def published_list(base_url: str, staff_token: str, rows: list[str], batch_nos: Iterable[str], *,
                   published_on: str, office_code: str = "330100", encoding: str = "utf-8") -> dict[str, Any]:
    """Both: the import's answer (columns read, rows) is returned for checks on it."""
    imported = import_list(base_url, staff_token, rows, office_code=office_code, encoding=encoding)
    publish_notice(base_url, staff_token, batch_nos, published_on=published_on, office_code=office_code)
    return imported


def _staff(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
