"""Offices are deployment data: loaded by staff, never written into code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import Office
from app.rules.vocabulary import canonical_city
from app.schemas import OfficeRecord, web_address

LEVEL_ORDER = {"市": 0, "县": 1, "省": 2}


def office_public(office: Office) -> dict:
    return {
        "code": office.code, "level": office.level, "region": office.region,
        "district": office.district, "name": office.name, "address": office.address,
        "phone": office.phone, "hours": office.hours, "map_url": _shown_map_url(office.map_url),
    }


def _shown_map_url(stored: str | None) -> str | None:
    """Rows loaded before map links were checked may hold any text: shown only when http(s)."""
    try:
        return web_address(stored)
    except ValueError:  # the check's own refusal, or text urlsplit cannot even read
        return None


def find_offices(session: Session, *, city: str | None = None) -> list[Office]:
    query = select(Office)
    if city:
        key = canonical_city(city)
        query = query.where((Office.region == key) | (Office.district == city.strip()))
    offices = list(session.scalars(query))
    offices.sort(key=lambda o: (LEVEL_ORDER.get(o.level, 9), o.code))
    return offices


def office_by_code(session: Session, code: str) -> Office:
    office = session.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise AppError(404, "office_not_found", "未找到该领证机构。")
    return office


def upsert_offices(session: Session, records: list[OfficeRecord]) -> int:
    """Offices without a `parent_code` get the one their GB/T 2260 code implies."""
    for record in records:
        office = session.scalar(select(Office).where(Office.code == record.code))
        values = record.model_dump()
        values["region"] = canonical_city(values["region"])
        if office is None:
            session.add(Office(**values))
        else:
            for key, value in values.items():
                setattr(office, key, value)
    session.flush()
    codes = set(session.scalars(select(Office.code)))
    for record in records:
        if record.parent_code is None:
            office = session.scalar(select(Office).where(Office.code == record.code))
            office.parent_code = implied_parent_code(record.code, record.level, codes)
    return len(records)


def implied_parent_code(code: str, level: str, codes: set[str]) -> str | None:
    """A county's city (its first four digits) when that office exists, else its province;
    a city's province. Codes that are not GB/T 2260 ones imply nothing."""
    if len(code) != 6 or not code.isdigit() or level == "省":
        return None
    city, province = code[:4] + "00", code[:2] + "0000"
    if level == "县" and city in codes and city != code:
        return city
    return province if province in codes and province != code else None


def offices_under(session: Session, office: Office) -> set[str]:
    """The office's code and those of every office below it."""
    children: dict[str, list[str]] = {}
    for code, parent in session.execute(select(Office.code, Office.parent_code)):
        if parent:
            children.setdefault(parent, []).append(code)
    found, todo = set(), [office.code]
    while todo:
        code = todo.pop()
        if code not in found:
            found.add(code)
            todo.extend(children.get(code, []))
    return found
