"""Import of a published list, CSV or XLSX, as centres publish it: a title above the header,
header variants, extra columns (序号, 性别, 工作单位, 备注), a note or two below the data.
A file with any bad row writes nothing; a dry run checks everything and writes nothing either.
A good file is written in one transaction: a failure half-way writes nothing either.

Files are bounded before anything large is built from them: a few kilobytes of XLSX can
describe a sheet of 17 billion cells, and the XLSX reader allocates every cell of the area
its cells span as soon as it opens the sheet (before `height` or `width` can be asked)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from xml.parsers import expat

from pickup_rules import RuleError, mask_for_log
from pickup_rules.identity import find_id_number
from pickup_rules.vocabulary import (
    CODE_EMPTY,
    CODE_TOO_LONG,
    LEVEL_DIGIT_MISMATCH,
    MAX_CODE_LENGTH,
    UNUSUAL_CERTIFICATE_NO,
    certificate_no_warnings,
    normalize_code,
)
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import AssessmentBatch, Certificate, CertificateState, ExamType, Office
from app.rules.identity import normalize_id
from app.rules.vocabulary import find_level, normalize_name

HEADER = ("姓名", "身份证号", "证书编号", "职业", "等级", "鉴定批次号")
NAME, ID_NUMBER, CERTIFICATE_NO, OCCUPATION, LEVEL, BATCH_NO = HEADER
# How centres title the six columns; compared after NFKC with spaces removed.
HEADER_VARIANTS = {
    NAME: ("姓名",),
    ID_NUMBER: ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"),
    CERTIFICATE_NO: ("证书编号", "证书号", "证书号码", "证书编码"),
    OCCUPATION: ("职业", "职业（工种）", "职业(工种)", "工种", "职业名称"),
    LEVEL: ("等级", "级别", "职业等级", "技能等级", "鉴定等级"),
    BATCH_NO: ("鉴定批次号", "批次号", "鉴定批次", "批次", "批号"),
}
HEADER_SEARCH_ROWS = 10  # the header is the first of these rows naming 姓名, 身份证号 and 证书编号

MAX_ROWS = 200_000  # of a sheet or a CSV file, title and header rows included
MAX_COLUMNS = 50
MAX_CELLS = 4_000_000  # cells holding a value; 200,000 rows of 15 columns hold 3,000,000
MAX_XLSX_UNPACKED = 256 * 2**20  # all parts of an XLSX file together, unpacked
MAX_XLSX_PARTS = 10_000
MAX_CSV_COMMAS_PER_LINE = 20 * MAX_COLUMNS  # more is refused before the line is split

MAX_REPORTED_ERRORS = 200
MAX_REPORTED_WARNINGS = 100  # of each kind; all are counted
CHUNK = 1000

FOOTER_IGNORED = "footer_ignored"
WARNING_MESSAGES = {
    UNUSUAL_CERTIFICATE_NO: "证书编号的写法少见（常见为16位数字或22位字符），请核对是否录入有误；不影响导入。",
    LEVEL_DIGIT_MISMATCH: "16位证书编号中表示等级的一位与等级列不一致，请核对；不影响导入。",
    FOOTER_IGNORED: "表格末尾的说明行不是名单数据，已忽略：{text}",
}
CODE_REASONS = {
    CODE_EMPTY: "{label}为空",
    CODE_TOO_LONG: "{label}超过" + str(MAX_CODE_LENGTH) + "个字符",
}


@dataclass
class Columns:
    """Where the six fields are, and what the answer tells staff about the header."""

    header_row: int
    index: dict[str, int]  # field -> column position
    mapped: dict[str, str]  # header cell as written -> field
    ignored: list[str]

    def public(self) -> dict:
        return {"header_row": self.header_row, "mapped": self.mapped, "ignored": self.ignored}


@dataclass
class ImportResult:
    imported: int = 0
    unchanged: int = 0
    batches: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # -> certificates
    columns: Columns | None = None
    warnings: Warnings = field(default_factory=lambda: Warnings())
    dry_run: bool = False


# -- reading, within bounds ---------------------------------------------------------------

def _too_large(message: str, **details: object) -> AppError:
    return AppError(422, "file_too_large", message, details=details)


def _unreadable_xlsx(reason: str = "") -> AppError:
    return AppError(422, "invalid_file",
                    f"XLSX文件无法读取{reason}，请用Excel或WPS打开后另存为XLSX（不设密码）再上传。")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AppError(422, "invalid_file", "文件编码无法识别，请以UTF-8或GBK编码的CSV或XLSX文件上传。")


def _cell_text(value: object) -> str:
    """A cell as the sheet shows it: whole numbers without '.0'."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(filename: str, data: bytes) -> Iterator[tuple[int, list]]:
    """(row number as a spreadsheet shows it, cells) of the first sheet or the CSV file."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: .xls, or an encrypted .xlsx
        raise AppError(422, "invalid_file",
                       "不支持旧版Excel（.xls）或设了密码的表格，请另存为XLSX或CSV（不设密码）后上传。")
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _xlsx_rows(data)
    return _csv_rows(_decode(data))


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    def lines() -> Iterator[str]:
        for number, line in enumerate(io.StringIO(text), start=1):
            if line.count(",") > MAX_CSV_COMMAS_PER_LINE:  # before csv splits it into a huge list
                raise _too_large(f"表格超过{MAX_COLUMNS}列（第{number}行），请删除多余的列后再上传。",
                                 max_columns=MAX_COLUMNS, line=number)
            yield line

    reader = csv.reader(lines())
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise _too_large(f"表格超过{MAX_ROWS}行（含标题和表头），请拆分后分批上传。",
                                 max_rows=MAX_ROWS)
            if len(row) > MAX_COLUMNS:
                raise _too_large(f"表格超过{MAX_COLUMNS}列（第{number}行有{len(row)}列），请删除多余的列后再上传。",
                                 max_columns=MAX_COLUMNS, line=number, columns=len(row))
            yield number, row
    except csv.Error:
        raise AppError(422, "invalid_file", f"CSV文件第{reader.line_num}行无法读取，请检查引号是否成对。",
                       details={"line": reader.line_num}) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    check_xlsx_bounds(data)
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    except Exception:  # calamine raises several kinds for a damaged file
        raise _unreadable_xlsx() from None
    if sheet.start is None:  # an empty sheet (iter_rows would fail on it)
        return iter(())
    # iter_rows starts at row 1 whatever the first filled row: the numbers are the sheet's.
    return enumerate(sheet.iter_rows(), start=1)


def check_xlsx_bounds(data: bytes) -> None:
    """Refuses an XLSX file whose parts unpack beyond the bounds, or whose worksheets place
    a value outside MAX_ROWS x MAX_COLUMNS or hold more than MAX_CELLS values, before the
    XLSX reader sees it. Every part is unpacked here from its own bytes, as the reader will
    unpack it: declared sizes are not trusted."""
    if data.count(b"PK\x01\x02") > MAX_XLSX_PARTS:  # before zipfile lists them all
        raise _unreadable_xlsx("（文件内部条目过多）")
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _unreadable_xlsx() from None
    names = {p.filename.lower() for p in parts}
    if "xl/workbook.xml" not in names or "xl/workbook.bin" in names or "content.xml" in names:
        raise _unreadable_xlsx("（不是XLSX格式）")
    if sum(p.file_size for p in parts) > MAX_XLSX_UNPACKED:
        raise _too_large(f"XLSX文件解压后超过{MAX_XLSX_UNPACKED // 2**20}MB，请删除多余的工作表或图片，或拆分后上传。",
                         max_unpacked_mb=MAX_XLSX_UNPACKED // 2**20)
    for part in parts:
        content = _unpacked(data, part)
        if part.filename.lower().startswith("xl/worksheets/"):
            if not _cells_plainly_within_bounds(content):
                _check_cell_positions(content)


def _unpacked(data: bytes, part: zipfile.ZipInfo) -> bytes:
    """The part's bytes, refused unless its stream ends exactly at its declared size (a
    stream longer than declared would unpack in the reader beyond every bound)."""
    if part.flag_bits & 0x1:
        raise _unreadable_xlsx("（文件已加密）")
    header = data[part.header_offset:part.header_offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _unreadable_xlsx()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = part.header_offset + 30 + name_length + extra_length
    raw = data[start:start + part.compress_size]
    if part.compress_type == zipfile.ZIP_STORED:
        content = raw
    elif part.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        try:
            content = inflater.decompress(raw, part.file_size + 1)
        except zlib.error:
            raise _unreadable_xlsx() from None
        if not inflater.eof:
            raise _unreadable_xlsx()
    else:
        raise _unreadable_xlsx("（压缩方式不受支持）")
    if len(content) != part.file_size or zlib.crc32(content) != part.CRC:
        raise _unreadable_xlsx()
    return content


def _column_name(index: int) -> str:
    """0 -> A, 49 -> AX."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _numbers_up_to(limit: int) -> str:
    """A regular expression for the whole numbers 1..limit, written without leading zeros."""
    digits = str(limit)
    alternatives = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(map(int, digits)):
        lowest = 1 if i == 0 else 0
        if digit > lowest:
            alternatives.append(digits[:i] + f"[{lowest}-{digit - 1}]" + r"\d" * (len(digits) - i - 1))
    return "(?:" + "|".join([*alternatives, digits]) + ")"


def _letters_up_to(limit: int) -> str:
    """A regular expression for the column letters of columns 1..limit (limit <= 702)."""
    def first(n: int) -> str:
        return f"[A-{chr(64 + n)}a-{chr(96 + n)}]"

    alternatives = [first(min(limit, 26))]
    whole, part = divmod(max(limit - 26, 0), 26)
    if whole:
        alternatives.append(first(whole) + first(26))
    if part:
        alternatives.append(f"[{chr(65 + whole)}{chr(97 + whole)}]" + first(part))
    return "(?:" + "|".join(alternatives) + ")"


_NAME_CHAR = rb"[\w.:\-\x80-\xff]"  # continues an XML element name
_PREFIXED_CELL = re.compile(rb":c(?!" + _NAME_CHAR + rb")")


@lru_cache(maxsize=4)
def _cell_outside_plain_bounds(max_rows: int, max_columns: int) -> re.Pattern[bytes]:
    inside = f'{_letters_up_to(max_columns)}{_numbers_up_to(max_rows)}"'.encode()
    return re.compile(rb"<c(?!" + _NAME_CHAR + rb')(?! r="' + inside + rb")")


def _cells_plainly_within_bounds(sheet: bytes) -> bool:
    """True when every cell is written `<c r="B7"` with a reference inside the bounds, as
    Excel, WPS, LibreOffice and openpyxl write them (a few fast scans). Anything else (no
    reference, a namespace prefix, a reference outside, another encoding) is for the exact
    replay to decide."""
    body = sheet[len(codecs.BOM_UTF8):] if sheet.startswith(codecs.BOM_UTF8) else sheet
    if not body.startswith(b"<") or b"\x00" in body[:4]:  # UTF-16 and the like
        return False
    if _PREFIXED_CELL.search(body) or _cell_outside_plain_bounds(MAX_ROWS, MAX_COLUMNS).search(body):
        return False
    return body.count(b'<c r="') <= MAX_CELLS


class _Done(Exception):
    pass


def _check_cell_positions(sheet: bytes) -> None:
    """Replays how the XLSX reader (calamine) places cells: a `<row>` or `<c>` without an `r`
    reference follows the one before it, elements match by local name whatever their prefix,
    only `<sheetData>` counts, a cell without content is dropped. Raises on the first value
    outside the bounds."""
    parser = expat.ParserCreate()
    parser.ordered_attributes = True  # [name, value, ...]: cheaper than a dict per element
    in_data = False
    next_row = next_column = 0  # 0-based, as the reader tracks them
    cell: tuple[int, int] | None = None
    cell_has_content = False
    cells = 0

    def start(name: str, attrs: list[str]) -> None:
        nonlocal in_data, next_row, next_column, cell, cell_has_content
        if cell is not None:
            cell_has_content = True
        elif not in_data:
            in_data = name == "sheetData" or name.endswith(":sheetData")
        elif name == "c" or name.endswith(":c"):
            reference = attrs[1] if attrs and attrs[0] == "r" else _attribute(attrs, "r")
            cell = (next_row, next_column) if reference is None else _reference(reference)
            next_column = cell[1] + 1
            cell_has_content = False
        elif name == "row" or name.endswith(":row"):
            reference = _attribute(attrs, "r")
            if reference is not None:
                next_row = _reference(reference, column_required=False)[0]

    def end(name: str) -> None:
        nonlocal next_row, next_column, cell, cells
        if cell is not None:
            if name == "c" or name.endswith(":c"):
                if cell_has_content:
                    cells += 1
                    if cell[0] >= MAX_ROWS or cell[1] >= MAX_COLUMNS or cells > MAX_CELLS:
                        _refuse_cell(*cell)
                cell = None
        elif in_data:
            if name == "row" or name.endswith(":row"):
                next_row, next_column = next_row + 1, 0
            elif name == "sheetData" or name.endswith(":sheetData"):
                raise _Done

    def no_doctype(*_: object) -> None:
        raise _unreadable_xlsx()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = no_doctype
    try:
        parser.Parse(sheet, True)
    except _Done:
        pass
    except expat.ExpatError:
        raise _unreadable_xlsx() from None


def _attribute(attrs: list[str], name: str) -> str | None:
    for i in range(0, len(attrs), 2):
        if attrs[i] == name:
            return attrs[i + 1]
    return None


_REFERENCE = re.compile(r"([A-Za-z]{1,3})?([1-9]\d{0,6})")


def _reference(text: str, *, column_required: bool = True) -> tuple[int, int]:
    """'XFD1048576' -> (1048575, 16383); a row's reference may be the number alone."""
    found = _REFERENCE.fullmatch(text)
    if not found or (column_required and not found.group(1)):
        raise _unreadable_xlsx("（单元格位置无法识别）")
    return int(found.group(2)) - 1, _column_index(found.group(1) or "A")


@lru_cache(maxsize=1024)
def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _refuse_cell(row: int, column: int) -> None:
    where = f"{_column_name(column)}{row + 1}"
    if row >= MAX_ROWS:
        raise _too_large(f"表格超过{MAX_ROWS}行（含标题和表头）：单元格{where}有内容。若名单没有这么多行，"
                         "请删除这个误填的单元格；否则请拆分后分批上传。",
                         max_rows=MAX_ROWS, cell=where)
    if column >= MAX_COLUMNS:
        raise _too_large(f"表格超过{MAX_COLUMNS}列：单元格{where}有内容。请删除多余的列或误填的单元格后再上传。",
                         max_columns=MAX_COLUMNS, cell=where)
    raise _too_large(f"表格中有内容的单元格超过{MAX_CELLS}个，请拆分后分批上传。", max_cells=MAX_CELLS)


# -- the header ---------------------------------------------------------------------------

def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


_FIELD_OF_HEADER = {_header_key(v): f for f, variants in HEADER_VARIANTS.items() for v in variants}
_HEADER_HELP = ("表头须在前" + str(HEADER_SEARCH_ROWS) + "行内，包含姓名、身份证号、证书编号、职业、等级、鉴定批次号六列"
                "（也可写作身份证号码、证件号码、职业（工种）、级别、批次号等；列的顺序不限，其他列会被忽略）。")


def find_header(rows: Iterator[tuple[int, list]]) -> Columns:
    """Reads rows up to the header: the first of the first rows naming 姓名, 身份证号 and
    证书编号. Refuses a header missing a field, or naming one twice."""
    best: tuple[int, int, list[str]] | None = None  # (fields named, line, cells)
    for line, cells in rows:
        texts = [_cell_text(c) for c in cells]
        fields = [_FIELD_OF_HEADER.get(_header_key(t)) for t in texts]
        named = set(fields) - {None}
        if {NAME, ID_NUMBER, CERTIFICATE_NO} <= named:
            return _columns(line, texts, fields)
        if any(texts) and (best is None or len(named) > best[0]):
            best = (len(named), line, texts)
        if line >= HEADER_SEARCH_ROWS:
            break
    else:
        if best is None:
            raise AppError(422, "empty_file", "文件中没有数据行。")
    line, texts = (best[1], best[2]) if best else (None, [])
    found = {_FIELD_OF_HEADER.get(_header_key(t)) for t in texts}
    missing = [f for f in HEADER if f not in found]
    raise AppError(422, "invalid_header", f"没有找到完整的表头（缺少{'、'.join(missing)}）。{_HEADER_HELP}",
                   details={"missing": missing, "found": _shown(texts), "header_row": line,
                            "expected": list(HEADER)})


def _shown(texts: Iterable[str]) -> list[str]:
    """Header cells as the answer may repeat them: a row of data taken for one holds IDs."""
    return [mask_for_log(t) for t in texts if t]


def _columns(line: int, texts: list[str], fields: list[str | None]) -> Columns:
    index: dict[str, int] = {}
    mapped: dict[str, str] = {}
    ignored: list[str] = []
    twice: dict[str, list[str]] = {}
    for position, (text, name) in enumerate(zip(texts, fields)):
        if name is None:
            if text:
                ignored.append(mask_for_log(text))
        elif name in index:
            twice.setdefault(name, [texts[index[name]]]).append(text)
        else:
            index[name] = position
            mapped[text] = name
    if twice:
        which = "；".join(f"{'、'.join(cells)}都对应{name}" for name, cells in twice.items())
        raise AppError(422, "invalid_header", f"表头中有两列对应同一项：{which}。请删除或改名其中一列后再上传。",
                       details={"duplicates": twice, "found": _shown(texts), "header_row": line})
    missing = [f for f in HEADER if f not in index]
    if missing:
        raise AppError(422, "invalid_header", f"表头缺少{'、'.join(missing)}。{_HEADER_HELP}",
                       details={"missing": missing, "found": _shown(texts), "header_row": line,
                                "expected": list(HEADER)})
    return Columns(header_row=line, index=index, mapped=mapped, ignored=ignored)


# -- rows ---------------------------------------------------------------------------------

def _filled(cells: list) -> list:
    """The non-blank cells of a row, stopping at two (all a data row needs to be one)."""
    found = []
    for value in cells:
        if value is not None and value != "" and not (isinstance(value, str) and value.isspace()):
            found.append(value)
            if len(found) == 2:
                break
    return found


class _RowCheck:
    """Checks one data row; the few spellings of levels and batch numbers a list repeats
    thousands of times are worked out once."""

    def __init__(self, columns: Columns, today: dt.date) -> None:
        self.positions = tuple(columns.index[f] for f in HEADER)
        self.today = today
        self.levels: dict[str, str | None] = {}
        self.batch_nos: dict[str, tuple[str, str]] = {}  # raw -> (number, why not)

    def holder_cells_filled(self, cells: list) -> bool:
        """Name and ID both there: a data row, no need to look further."""
        for position in self.positions[:2]:
            value = cells[position] if position < len(cells) else None
            if value is None or value == "" or (type(value) is str and value.isspace()):
                return False
        return True

    def __call__(self, line: int, cells: list) -> tuple[dict | None, str, list[str]]:
        """(the row ready to import or None, why not, warning codes)."""
        raw = [cells[i] if i < len(cells) else "" for i in self.positions]
        name, raw_id, raw_certificate_no, occupation, raw_level, raw_batch_no = map(_cell_text, raw)
        reasons = []
        name = normalize_name(name)
        if not 1 <= len(name) <= 50:
            reasons.append("姓名为空或过长")
        id_number = ""
        if isinstance(raw[1], float) and raw[1] >= 1e15:
            reasons.append("身份证号被存成了数字（后几位已丢失），请把该列设为文本后重新填写")
        else:
            try:
                id_number = normalize_id(raw_id, today=self.today)
            except AppError as exc:
                reasons.append(exc.message)
        certificate_no, why_not = _code(raw_certificate_no, "证书编号")
        if why_not:
            reasons.append(why_not)
        if not 1 <= len(occupation) <= 60:
            reasons.append("职业为空或过长")
        if raw_level not in self.levels:
            self.levels[raw_level] = find_level(raw_level)
        level = self.levels[raw_level]
        if level is None:
            reasons.append("等级应为五级、四级、三级、二级或一级（也可写作初级工、中级工、高级工、技师、高级技师）")
        if raw_batch_no not in self.batch_nos:
            self.batch_nos[raw_batch_no] = _code(raw_batch_no, "鉴定批次号")
        batch_no, why_not = self.batch_nos[raw_batch_no]
        if why_not:
            reasons.append(why_not)
        if reasons:
            return None, "；".join(reasons), []
        return ({"line": line, "holder_name": name, "id_number": id_number, "certificate_no": certificate_no,
                 "occupation": occupation, "level": level, "batch_no": batch_no},
                "", certificate_no_warnings(certificate_no, level))


def _code(raw: str, label: str) -> tuple[str, str]:
    """(the normalised certificate or batch number, or why it is refused)."""
    try:
        return normalize_code(raw), ""
    except RuleError as exc:
        return "", CODE_REASONS.get(exc.code, "{label}含有无法识别的字符").format(label=label)


@dataclass
class Warnings:
    """Every warning counted, the first of each kind kept with its line: a province whose
    numbers all look unusual would otherwise fill the answer."""

    shown: list[dict] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, line: int, code: str, **values: str) -> None:
        self.counts[code] += 1
        if self.counts[code] <= MAX_REPORTED_WARNINGS:
            self.shown.append({"line": line, "code": code, "message": WARNING_MESSAGES[code].format(**values)})

    def public(self) -> list[dict]:
        return sorted(self.shown, key=lambda w: w["line"])


def check_rows(rows: Iterator[tuple[int, list]], columns: Columns,
               today: dt.date) -> tuple[list[dict], list[dict], Warnings]:
    """(rows to import, bad rows, warnings) of the rows below the header. A row with a single
    cell that is not an ID number, after the last holder, is a note (制表人：…, 共35人)."""
    check_row = _RowCheck(columns, today)
    parsed: list[dict] = []
    errors: list[dict] = []
    warnings = Warnings()
    seen_numbers: dict[str, int] = {}
    notes: list[tuple[int, list, str]] = []

    def check(line: int, cells: list) -> None:
        row, reason, codes = check_row(line, cells)
        if row is not None and row["certificate_no"] in seen_numbers:
            row, reason = None, f"证书编号与第{seen_numbers[row['certificate_no']]}行重复"
        if row is None:
            errors.append({"line": line, "reason": reason})
            return
        seen_numbers[row["certificate_no"]] = line
        parsed.append(row)
        for code in codes:
            warnings.add(line, code)

    for line, cells in rows:
        if not check_row.holder_cells_filled(cells):
            filled = _filled(cells)
            if len(filled) < 2:
                text = _cell_text(filled[0]) if filled else ""
                if not text:
                    continue
                if find_id_number(text) is None:
                    notes.append((line, cells, text))
                    continue
        for note_line, note_cells, _ in notes:  # holders follow: these were rows, not notes
            check(note_line, note_cells)
        notes.clear()
        check(line, cells)
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    for line, _, text in notes:
        warnings.add(line, FOOTER_IGNORED, text=mask_for_log(text)[:60])
    return parsed, errors, warnings


# -- the import ---------------------------------------------------------------------------

def import_list(session: Session, *, filename: str, data: bytes, office: Office, exam_type: str,
                blanks_arrived_on: dt.date | None, today: dt.date, dry_run: bool = False) -> ImportResult:
    if exam_type not in (ExamType.LOCAL, ExamType.NATIONAL):
        raise AppError(422, "invalid_exam_type", "考试类型应为 local（本地鉴定）或 national（全国统考）。")
    rows = read_rows(filename, data)
    columns = find_header(rows)
    parsed, errors, warnings = check_rows(rows, columns, today)
    if not parsed and not errors:
        raise AppError(422, "empty_file", "文件中没有数据行。")

    existing = _existing_certificates(session, [p["certificate_no"] for p in parsed])
    result = ImportResult(columns=columns, dry_run=dry_run)
    fresh = []
    for row in parsed:
        known = existing.get(row["certificate_no"])
        if known is None:
            fresh.append(row)
        elif (known.holder_name, known.id_number, known.batch.batch_no, known.occupation,
              known.level) == (row["holder_name"], row["id_number"], row["batch_no"],
                               row["occupation"], row["level"]):
            result.unchanged += 1
        else:
            errors.append({"line": row["line"], "reason": "证书编号已存在，但姓名、身份证号或批次与已有记录不一致"})
    if errors:
        errors.sort(key=lambda e: e["line"])
        counted = f"至少{len(errors)}行" if len(errors) >= MAX_REPORTED_ERRORS else f"{len(errors)}行"
        raise AppError(422, "import_rejected",
                       f"文件中有{counted}不符合要求，整份文件未导入，请修改后重新上传。",
                       details={"errors": errors[:MAX_REPORTED_ERRORS], "columns": columns.public(),
                                "warnings": warnings.public(), "dry_run": dry_run})

    result.imported = len(fresh)
    result.batches = Counter((r["batch_no"], r["occupation"], r["level"]) for r in parsed)
    result.warnings = warnings
    if dry_run:
        return result
    # Every row is checked above, so a bad file has written nothing; the writes below are one
    # transaction with the request's (its audit row included), committed by the request: a
    # failure half-way leaves nothing. Readers never wait for it (PostgreSQL; SQLite in WAL);
    # on SQLite other writers wait for the whole insert (README: "One transaction per import").
    batch_ids = _batches(session, fresh, office, exam_type, blanks_arrived_on)
    for start in range(0, len(fresh), CHUNK):
        session.execute(insert(Certificate), [
            {"holder_name": r["holder_name"], "id_number": r["id_number"],
             "certificate_no": r["certificate_no"], "occupation": r["occupation"],
             "level": r["level"], "office_id": office.id, "state": CertificateState.PENDING,
             "batch_id": batch_ids[(r["batch_no"], r["occupation"], r["level"])]}
            for r in fresh[start:start + CHUNK]
        ])
    return result


def _existing_certificates(session: Session, numbers: list[str]) -> dict[str, Certificate]:
    found: dict[str, Certificate] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        for cert in session.scalars(select(Certificate).where(Certificate.certificate_no.in_(chunk))):
            found[cert.certificate_no] = cert
    return found


def _batches(session: Session, rows: list[dict], office: Office, exam_type: str,
             blanks_arrived_on: dt.date | None) -> dict[tuple[str, str, str], int]:
    keys = {(r["batch_no"], r["occupation"], r["level"]) for r in rows}
    ids: dict[tuple[str, str, str], int] = {}
    for batch_no, occupation, level in sorted(keys):
        batch = session.scalar(select(AssessmentBatch).where(
            AssessmentBatch.batch_no == batch_no, AssessmentBatch.occupation == occupation,
            AssessmentBatch.level == level))
        if batch is None:
            batch = AssessmentBatch(batch_no=batch_no, occupation=occupation, level=level,
                                    exam_type=exam_type, blanks_arrived_on=blanks_arrived_on,
                                    office_id=office.id)
            session.add(batch)
            session.flush()
        ids[(batch_no, occupation, level)] = batch.id
    return ids


def result_public(result: ImportResult) -> dict:
    """The answer: what was (or, in a dry run, would be) imported, and how the file was read."""
    return {
        "dry_run": result.dry_run,
        "imported": result.imported,
        "unchanged": result.unchanged,
        "batches": [{"batch_no": b, "occupation": o, "level": lv, "certificates": n}
                    for (b, o, lv), n in sorted(result.batches.items())],
        "columns": result.columns.public() if result.columns else None,
        "warnings": result.warnings.public(),
        "warning_counts": dict(sorted(result.warnings.counts.items())),
    }


def audit_detail(result: ImportResult, filename: str) -> dict:
    return {"file": mask_for_log(filename), "dry_run": result.dry_run, "imported": result.imported,
            "unchanged": result.unchanged, "batches": sorted("/".join(b) for b in result.batches),
            "columns": result.columns.public() if result.columns else None,
            "warning_counts": dict(sorted(result.warnings.counts.items()))}


def preview_refused_detail(error: AppError, filename: str) -> dict:
    return {"file": mask_for_log(filename), "dry_run": True, "refused": error.code}
