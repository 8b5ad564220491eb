"""Hostile spreadsheets: files that describe far more than they hold, or hide where their
cells are. The server refuses them with a clear answer and goes on answering."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.errors import AppError
from app.models import Certificate
from app.services import lists
from tests.published_lists import (
    HEADER_CELLS,
    MAIN_NS,
    centre_list,
    far_cell_sheet,
    sheet_xml,
    with_declared_size,
    xlsx_file,
    xlsx_package,
)
from tests.utils import load_offices

BACKEND_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def offices(client, staff):
    load_offices(client, staff)


def _post(client, staff, data: bytes, filename: str):
    return client.post("/api/v1/staff/lists", headers=staff, data={"office_code": "330100"},
                       files={"file": (filename, data, "application/octet-stream")})


@pytest.mark.parametrize("dimension", [None, "A1:F1", "A1:XFD1048576"], ids=["none", "lying", "honest"])
def test_a_far_cell_xlsx_is_refused_and_the_server_lives(client, staff, offices, session, dimension):
    data = xlsx_package(far_cell_sheet(dimension=dimension))
    assert len(data) < 2000  # 1.6 KB describing 1,048,576 x 16,384 cells
    response = _post(client, staff, data, "名单.xlsx")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "file_too_large"
    assert "超过200000行" in body["message"] and "XFD1048576" in body["message"]
    assert body["details"] == {"max_rows": 200000, "cell": "XFD1048576"}
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_a_csv_of_20000_columns_is_refused_and_the_server_lives(client, staff, offices):
    data = ("姓名,身份证号,证书编号,职业,等级,鉴定批次号\n" + ",".join(["x"] * 20_000) + "\n").encode()
    response = _post(client, staff, data, "名单.csv")
    assert response.status_code == 422
    assert response.json()["code"] == "file_too_large"
    assert "超过50列" in response.json()["message"] and "第2行" in response.json()["message"]
    assert client.get("/api/v1/health").json() == {"status": "ok"}


def test_a_csv_row_just_over_the_column_limit_is_refused_with_its_line():
    data = ("姓名,身份证号,证书编号,职业,等级,鉴定批次号\n" + ",".join(["x"] * 50) + "\n"
            + ",".join(['"a,b"'] * 51) + "\n").encode()
    with pytest.raises(AppError) as refused:
        list(lists.read_rows("list.csv", data))
    assert refused.value.code == "file_too_large"
    assert refused.value.details == {"max_columns": 50, "line": 3, "columns": 51}


def test_a_csv_over_the_row_limit_is_refused():
    data = ("姓名,身份证号,证书编号,职业,等级,鉴定批次号\n" + ",,,,,\n" * 200_000).encode()
    with pytest.raises(AppError) as refused:
        list(lists.read_rows("list.csv", data))
    assert refused.value.code == "file_too_large" and "超过200000行" in refused.value.message
    assert sum(1 for _ in lists.read_rows("list.csv", data[:-len(",,,,,\n")])) == 200_000


def test_a_csv_with_a_broken_quote_is_refused_with_its_line():
    data = ("姓名,身份证号,证书编号,职业,等级,鉴定批次号\n张三,1,2,3,4,5\n\"" + "x" * 200_000).encode()
    with pytest.raises(AppError) as refused:
        list(lists.read_rows("list.csv", data))
    assert refused.value.code == "invalid_file" and "第3行" in refused.value.message


def test_an_old_xls_file_is_refused_clearly(client, staff, offices):
    response = _post(client, staff, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000, "名单.xls")
    assert response.status_code == 422 and response.json()["code"] == "invalid_file"
    assert "XLSX或CSV" in response.json()["message"]


# -- the reader, in a process of bounded memory --------------------------------------------

CHILD = r"""
import json, pickle, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from app.core.errors import AppError
from app.services import lists
for case, filename, data, limits in pickle.load(sys.stdin.buffer):
    print("reading", case, file=sys.stderr, flush=True)
    saved = {name: getattr(lists, name) for name in limits}
    for name, value in limits.items():
        setattr(lists, name, value)
    try:
        count, last = 0, []
        for _, row in lists.read_rows(filename, data):
            count, last = count + 1, [*last[-2:], row]
        outcome = {"count": count, "rows": [[lists._cell_text(v) for v in row] for row in last]}
    except AppError as exc:
        outcome = {"code": exc.code, "message": exc.message}
    for name, value in saved.items():
        setattr(lists, name, value)
    print(json.dumps({"case": case, **outcome}, ensure_ascii=False), flush=True)
"""


def _read_in_a_bounded_process(cases: list[tuple[str, str, bytes, dict]]) -> dict[str, dict]:
    """Each case read by lists.read_rows in a child limited to 4 GB of address space: a reader
    that allocates the sheet's whole span dies there, not in the test run."""
    done = subprocess.run([sys.executable, "-c", CHILD], input=pickle.dumps(cases), capture_output=True,
                          cwd=BACKEND_DIR, env={**os.environ, "PYTHONPATH": str(BACKEND_DIR)}, timeout=600)
    outcomes = {}
    for line in done.stdout.decode().splitlines():
        outcome = json.loads(line)
        outcomes[outcome.pop("case")] = outcome
    assert len(outcomes) == len(cases), f"the reader died (exit {done.returncode}):\n{done.stderr.decode()[-3000:]}"
    return outcomes


def _cell(ref: str, text: str = "x") -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _bare_cells(count: int) -> str:
    return "".join("<c><v>1</v></c>" for _ in range(count))


def _utf16(xml: str) -> bytes:
    return xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def _without_references(data: bytes) -> bytes:
    """The same workbook with every `r` of its rows and cells taken out, as some writers do."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb'(<(?:row|c)) r="[A-Z]*\d+"', rb"\1", content)
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            package.writestr(item, content)
    return out.getvalue()


def test_spreadsheets_built_to_break_the_reader():
    prefixed = sheet_xml(f'<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>姓名</x:t></x:is></x:c></x:row>'
                         f'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
                         root="x:worksheet", sheet_data_tag="x:sheetData", namespaces=f'xmlns:x="{MAIN_NS}"')
    doctype = sheet_xml(f'<row r="1">{_bare_cells(3)}</row>').replace(
        "<worksheet", '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet', 1)
    ods = xlsx_package(far_cell_sheet(), leave_out=("xl/workbook.xml",), extra={"content.xml": b"<office/>"})
    big_strings = "<sst>" + "<si><t>证书</t></si>" * 100_000 + "</sst>"
    published = centre_list(20)
    # every cell filled up to the row's last one, no blank row: without references it reads the same
    dense_rows = [[("-" if v == "" and any(row[i + 1:]) else v) for i, v in enumerate(row)]
                  for row in published.rows if any(v != "" for v in row)]
    dense = xlsx_file(dense_rows)
    cases = [
        ("far cell, no dimension", "a.xlsx", xlsx_package(far_cell_sheet()), {}),
        ("far cell, lying dimension", "a.xlsx", xlsx_package(far_cell_sheet(dimension="A1:F1")), {}),
        ("far cell in row 200001", "a.xlsx", xlsx_package(far_cell_sheet("A200001")), {}),
        ("far cell in column AY", "a.xlsx", xlsx_package(far_cell_sheet("AY1")), {}),
        ("cells without a reference run past column AX", "a.xlsx",
         xlsx_package(sheet_xml(f'<row r="1">{HEADER_CELLS}</row><row>{_bare_cells(51)}</row>')), {}),
        ("rows without a reference run past row 200000", "a.xlsx",
         xlsx_package(sheet_xml(f'<row r="1">{HEADER_CELLS}</row><row r="200000">{_bare_cells(1)}</row>'
                                f'<row>{_bare_cells(1)}</row>')), {}),
        ("prefixed elements", "a.xlsx", xlsx_package(prefixed), {}),
        ("UTF-16", "a.xlsx", xlsx_package(_utf16(far_cell_sheet())), {}),
        ("a doctype", "a.xlsx", xlsx_package(doctype), {}),
        ("more values than MAX_CELLS", "a.xlsx",
         xlsx_package(sheet_xml(f'<row r="1">{"".join(_cell("A1") for _ in range(101))}</row>')),
         {"MAX_CELLS": 100}),
        ("parts unpacking beyond the limit", "a.xlsx",
         xlsx_package(far_cell_sheet("F2"), shared_strings=big_strings), {"MAX_XLSX_UNPACKED": 1 << 20}),
        ("a stream longer than declared", "a.xlsx",
         with_declared_size(xlsx_package(far_cell_sheet()), "xl/worksheets/sheet1.xml", 300), {}),
        ("not an XLSX package", "a.xlsx", ods, {}),
        ("empty far cells are no cells", "a.xlsx",
         xlsx_package(sheet_xml(f'<row r="1">{HEADER_CELLS}</row><row r="1048576">'
                                '<c r="XFD1048575"></c><c r="XFD1048576" s="1"/></row>')), {}),
        ("a value at the last row and column allowed", "a.xlsx", xlsx_package(far_cell_sheet("AX200000")), {}),
        ("a published list", "a.xlsx", xlsx_file(published.rows), {}),
        ("a list written densely", "a.xlsx", dense, {}),
        ("the same list without cell references", "a.xlsx", _without_references(dense), {}),
    ]
    outcomes = _read_in_a_bounded_process(cases)

    def refused(case: str) -> str:
        assert "code" in outcomes[case], (case, outcomes[case])
        return outcomes[case]["code"]

    for case in ("far cell, no dimension", "far cell, lying dimension", "far cell in row 200001",
                 "rows without a reference run past row 200000", "prefixed elements", "UTF-16"):
        assert refused(case) == "file_too_large", case
        assert "超过200000行" in outcomes[case]["message"], case
    for case in ("far cell in column AY", "cells without a reference run past column AX"):
        assert refused(case) == "file_too_large" and "超过50列" in outcomes[case]["message"], case
    assert "AY1" in outcomes["far cell in column AY"]["message"]
    assert "AY2" in outcomes["cells without a reference run past column AX"]["message"]
    assert refused("more values than MAX_CELLS") == "file_too_large"
    assert refused("parts unpacking beyond the limit") == "file_too_large"
    for case in ("a doctype", "a stream longer than declared", "not an XLSX package"):
        assert refused(case) == "invalid_file", case

    assert outcomes["empty far cells are no cells"]["count"] == 1
    assert outcomes["a value at the last row and column allowed"]["count"] == 200_000
    assert outcomes["a value at the last row and column allowed"]["rows"][-1][-1] == "x"
    assert outcomes["a published list"]["count"] == len(published.rows)
    assert outcomes["a published list"]["rows"][-1][0] == "共20人"
    assert outcomes["a list written densely"]["count"] == len(dense_rows)
    assert outcomes["the same list without cell references"] == outcomes["a list written densely"]


def test_the_plain_form_is_recognised_and_nothing_else_passes_for_it():
    plain = zipfile.ZipFile(io.BytesIO(xlsx_file(centre_list(10).rows))).read("xl/worksheets/sheet1.xml")
    assert lists._cells_plainly_within_bounds(plain)
    assert lists._cells_plainly_within_bounds(b"\xef\xbb\xbf" + plain)
    for other in (far_cell_sheet(), far_cell_sheet("AY1"), far_cell_sheet("A200001"),
                  sheet_xml(f'<row r="1">{_bare_cells(1)}</row>'),
                  sheet_xml(f'<row r="1"><c  r="A1"><v>1</v></c></row>'),
                  sheet_xml(f'<row r="1"><c r="A01"><v>1</v></c></row>'),
                  sheet_xml(f'<row r="1"><c r="A0"><v>1</v></c></row>'),
                  sheet_xml(f'<row r="1"><c r=\'A1\'><v>1</v></c></row>'),
                  sheet_xml(f'<row r="1"><o:c r="A1"><v>1</v></o:c></row>')):
        data = other.encode() if isinstance(other, str) else other
        assert not lists._cells_plainly_within_bounds(data), other
    assert not lists._cells_plainly_within_bounds(_utf16(sheet_xml(f'<row r="1">{_cell("A1")}</row>')))
    assert lists._cells_plainly_within_bounds(sheet_xml(f'<row r="1">{_cell("AX200000")}</row>').encode())


@pytest.mark.parametrize("limit", [1, 9, 10, 26, 99, 100, 101, 4096, 200_000, 1_048_576])
def test_the_pattern_of_row_numbers_up_to_a_limit(limit):
    pattern = re.compile(lists._numbers_up_to(limit))
    for n in {*range(1, min(limit, 3000) + 1), *range(max(1, limit - 3000), limit + 3000)}:
        assert bool(pattern.fullmatch(str(n))) == (n <= limit), n
    assert not pattern.fullmatch("0") and not pattern.fullmatch("01")


@pytest.mark.parametrize("limit", [1, 5, 26, 27, 50, 52, 53, 78, 100, 702])
def test_the_pattern_of_column_letters_up_to_a_limit(limit):
    pattern = re.compile(lists._letters_up_to(limit))
    for index in range(703):
        name = lists._column_name(index)
        for written in (name, name.lower()):
            assert bool(pattern.fullmatch(written)) == (index < limit), written
