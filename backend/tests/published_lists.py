"""Lists as centres publish them, and spreadsheets built to break a reader.

A published list has a title row, a header in the centre's own words with extra columns
(序号, 性别, 工作单位, 备注), holders born 1950-1980 whose ID carries a district created
after their birth, certificate numbers in the national scheme's shapes, batch numbers in a
province's style, levels written every way, and a footer (制表人, 共N人)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook

from pickup_rules.testing import MINORITY_NAMES, older_holders

TITLE = "2026年第三批职业技能鉴定合格人员证书领取名单"
CENTRE_HEADER = ("序号", "姓名", "性别", "身份证号码", "工作单位", "职业（工种）", "级别", "证书编号", "批次号", "备注")
MAPPED = {"姓名": "姓名", "身份证号码": "身份证号", "职业（工种）": "职业", "级别": "等级",
          "证书编号": "证书编号", "批次号": "鉴定批次号"}
IGNORED = ["序号", "性别", "工作单位", "备注"]
EMPLOYERS = ("杭州某某机电设备有限公司", "个人", "萧山区某某建设集团", "", "某某家政服务中心")

# (batch number as the list writes it, as imported, occupation, level, level spellings,
#  certificate number for a serial in that batch's style)
BATCHES = (
    ("浙鉴2026第15批 ", "浙鉴2026第15批", "电工", "四级", ("四级（中级工）", "中级", "国家职业资格四级", "4"),
     lambda n: f"2633013040" + "4" + f"{n:05d}"),  # 16 digits, the level digit 4 at position 11
    ("杭人社鉴〔2026〕3号", "杭人社鉴〔2026〕3号", "育婴员", "三级", ("三级（高级工）", "高级工", "3级"),
     lambda n: f"S00003301000223{n:07d}"),  # 22 characters
    ("２０２６－３３－００１５", "2026-33-0015", "中式烹调师", "五级", ("五级（初级工）", "初级工", "五级"),
     lambda n: f"073100{n:07d}"),  # 13 digits, older Shanghai style
)


@dataclass
class PublishedList:
    rows: list[list[object]]  # every row of the sheet, title and footer included
    header_row: int
    holders: list[dict] = field(default_factory=list)  # name, id_number, certificate_no, batch_no, line
    footer_lines: list[int] = field(default_factory=list)
    level_digit_mismatch_line: int = 0
    unusual_certificate_line: int = 0

    def line_of(self, index: int) -> int:
        return self.holders[index]["line"]


def centre_list(count: int = 35, *, seed: int = 1965, blank_row_above_header: bool = False) -> PublishedList:
    """A list as a centre publishes it; holders spread over three batches."""
    people = older_holders(count, seed=seed)
    if count > 4:
        people[4] = (MINORITY_NAMES[0].replace("·", "•"), people[4][1])  # the dot as some lists type it
    rows: list[list[object]] = [[TITLE] + [""] * (len(CENTRE_HEADER) - 1)]
    if blank_row_above_header:
        rows.append([""] * len(CENTRE_HEADER))
    rows.append(list(CENTRE_HEADER))
    published = PublishedList(rows=rows, header_row=len(rows))
    for i, (name, id_number) in enumerate(people):
        written_batch, batch_no, occupation, level, spellings, number = BATCHES[i % len(BATCHES)]
        certificate_no = number(1000 + i)
        written_no = certificate_no
        line = len(rows) + 1
        if i == 6:  # a 16-digit number whose level digit says 三级 on a 四级 row
            written_no = certificate_no = certificate_no[:10] + "3" + certificate_no[11:]
            published.level_digit_mismatch_line = line
        if i == 7:  # a number in no national shape
            written_no = certificate_no = f"ZS-2026-{i:04d}"
            published.unusual_certificate_line = line
        if i == 9:  # typed with full-width digits and a space
            written_no = certificate_no.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            written_no = written_no[:4] + " " + written_no[4:]
        sex = "男" if int(id_number[16]) % 2 else "女"
        written_id = id_number.lower() if i == 11 else id_number
        rows.append([i + 1, name, sex, written_id, EMPLOYERS[i % len(EMPLOYERS)], occupation,
                     spellings[i % len(spellings)], written_no, written_batch, "补考" if i % 10 == 3 else ""])
        published.holders.append({"name": name.replace("•", "·"), "id_number": id_number,
                                  "certificate_no": certificate_no, "batch_no": batch_no,
                                  "occupation": occupation, "level": level, "line": line})
    rows.append([""] * len(CENTRE_HEADER))
    for note in ("制表人：张三", f"共{count}人"):
        rows.append([note] + [""] * (len(CENTRE_HEADER) - 1))
        published.footer_lines.append(len(rows))
    return published


def without_column(rows: list[list[object]], header_row: int, name: str) -> list[list[object]]:
    position = list(rows[header_row - 1]).index(name)
    return [row[:position] + row[position + 1:] for row in rows]


def csv_file(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(rows: list[list[object]], *, merge_title: bool = True) -> bytes:
    """As Excel would save it: shared strings, numbers as numbers, the title merged across."""
    book = Workbook()
    sheet = book.active
    sheet.title = "领证名单"
    for row in rows:
        sheet.append([None if value == "" else value for value in row])
    if merge_title:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[1]))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- spreadsheets built by hand, to break a reader -----------------------------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_CELLS = "".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'
    for col, text in zip("ABCDEF", ("姓名", "身份证号", "证书编号", "职业", "等级", "鉴定批次号")))


def sheet_xml(sheet_data: str, *, dimension: str | None = None, root: str = "worksheet",
              sheet_data_tag: str = "sheetData", namespaces: str = f'xmlns="{MAIN_NS}"') -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{root} {namespaces}>{dim}'
            f"<{sheet_data_tag}>{sheet_data}</{sheet_data_tag}></{root}>")


def far_cell_sheet(far: str = "XFD1048576", *, dimension: str | None = None) -> str:
    """The header in row 1 and one cell far away: a 1.6 KB file describing 17 billion cells."""
    row = far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return sheet_xml(f'<row r="1">{HEADER_CELLS}</row>'
                     f'<row r="{row}"><c r="{far}" t="inlineStr"><is><t>x</t></is></c></row>',
                     dimension=dimension)


def xlsx_package(sheet: str | bytes, *, shared_strings: str | bytes | None = None,
                 extra: dict[str, bytes] | None = None, leave_out: tuple[str, ...] = ()) -> bytes:
    """The smallest package the reader opens: content types, relationships, a workbook of one
    sheet, the sheet as given."""
    parts: dict[str, str | bytes] = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
            'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN_NS}" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
            'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    parts.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in parts.items():
            if name not in leave_out:
                package.writestr(name, content)
    return buffer.getvalue()


def with_declared_size(package: bytes, part: str, size: int) -> bytes:
    """The package with one part's unpacked size rewritten in its central directory entry:
    a stream longer than its declared size."""
    entry = package.index(b"PK\x01\x02")
    while package[entry + 46:entry + 46 + len(part)] != part.encode():
        entry = package.index(b"PK\x01\x02", entry + 4)
    return package[:entry + 24] + size.to_bytes(4, "little") + package[entry + 28:]
