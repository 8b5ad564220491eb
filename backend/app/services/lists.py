"""Import of a published list (CSV or XLSX). A file with any bad row writes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import AssessmentBatch, Certificate, CertificateState, ExamType, Office
from app.rules.identity import mask_id, normalize_id
from app.rules.vocabulary import find_level, normalize_name

HEADER = ("姓名", "身份证号", "证书编号", "职业", "等级", "鉴定批次号")
CODE_PATTERN = re.compile(r"[A-Za-z0-9\-]{4,40}")
MAX_REPORTED_ERRORS = 200
CHUNK = 1000


@dataclass
class ImportResult:
    imported: int = 0
    unchanged: int = 0
    batches: set[tuple[str, str, str]] = field(default_factory=set)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AppError(422, "invalid_file", "文件编码无法识别，请以UTF-8或GBK编码的CSV或XLSX文件上传。")


def _cell_text(value: object) -> str:
    """A spreadsheet cell as openpyxl would have given it: whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """All rows including the header, as strings."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            values = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception:  # calamine raises several kinds for a damaged file
            raise AppError(422, "invalid_file", "XLSX文件无法读取，请检查文件是否损坏。") from None
        return [[_cell_text(v) for v in row] for row in values]
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(_decode(data)))]


def import_list(session: Session, *, filename: str, data: bytes, office: Office, exam_type: str,
                blanks_arrived_on: dt.date | None, today: dt.date) -> ImportResult:
    rows = read_rows(filename, data)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or tuple(rows[0][:6]) != HEADER or any(rows[0][6:]):
        raise AppError(422, "invalid_header", "表头应为：" + ",".join(HEADER),
                       details={"expected": list(HEADER)})
    if exam_type not in (ExamType.LOCAL, ExamType.NATIONAL):
        raise AppError(422, "invalid_exam_type", "考试类型应为 local（本地鉴定）或 national（全国统考）。")

    errors: list[dict] = []
    parsed: list[dict] = []
    seen_numbers: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        row = (row + [""] * 6)[:6]
        name, raw_id, cert_no, occupation, raw_level, batch_no = row
        reasons = []
        name = normalize_name(name)
        if not 1 <= len(name) <= 50:
            reasons.append("姓名为空或过长")
        try:
            id_number = normalize_id(raw_id, today=today)
        except AppError as exc:
            reasons.append(exc.message)
            id_number = ""
        if not CODE_PATTERN.fullmatch(cert_no):
            reasons.append("证书编号应为4至40位字母、数字或连字符")
        elif cert_no in seen_numbers:
            reasons.append(f"证书编号与第{seen_numbers[cert_no]}行重复")
        else:
            seen_numbers[cert_no] = line
        if not 1 <= len(occupation) <= 60:
            reasons.append("职业为空或过长")
        level = find_level(raw_level)
        if level is None:
            reasons.append("等级应为五级、四级、三级、二级或一级")
        if not CODE_PATTERN.fullmatch(batch_no):
            reasons.append("鉴定批次号应为4至40位字母、数字或连字符")
        if reasons:
            errors.append({"line": line, "reason": "；".join(reasons)})
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
            continue
        parsed.append({"line": line, "holder_name": name, "id_number": id_number,
                       "certificate_no": cert_no, "occupation": occupation, "level": level,
                       "batch_no": batch_no.upper()})
    if not parsed and not errors:
        raise AppError(422, "empty_file", "文件中没有数据行。")

    existing = _existing_certificates(session, [p["certificate_no"] for p in parsed])
    result = ImportResult()
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
        raise AppError(422, "import_rejected",
                       f"文件中有{len(errors)}行不符合要求，整份文件未导入，请修改后重新上传。",
                       details={"errors": errors[:MAX_REPORTED_ERRORS]})

    batch_ids = _batches(session, fresh, office, exam_type, blanks_arrived_on)
    for start in range(0, len(fresh), CHUNK):
        session.execute(insert(Certificate), [
            {"holder_name": r["holder_name"], "id_number": r["id_number"],
             "certificate_no": r["certificate_no"], "occupation": r["occupation"],
             "level": r["level"], "office_id": office.id, "state": CertificateState.PENDING,
             "batch_id": batch_ids[(r["batch_no"], r["occupation"], r["level"])]}
            for r in fresh[start:start + CHUNK]
        ])
    result.imported = len(fresh)
    result.batches = {(r["batch_no"], r["occupation"], r["level"]) for r in parsed}
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


def audit_detail(result: ImportResult, filename: str) -> dict:
    return {"file": mask_id(filename), "imported": result.imported, "unchanged": result.unchanged,
            "batches": sorted("/".join(b) for b in result.batches)}
