"""The contract between the backend and its clients: every answer described in the OpenAPI
document, every refusal in the one error shape, every error code from one list
(`pickup_rules.ErrorCode`), and the committed description (`contract/openapi.json`) current."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from pickup_rules import ErrorCode

from app.contract import SNAPSHOT, as_text, openapi_document
from app.core.errors import AppError

ROOT = Path(__file__).resolve().parents[2]
ERROR_REF = "#/components/schemas/ErrorBody"
METHODS = {"get", "post", "put", "delete", "patch"}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def undescribed(document: dict) -> list[str]:
    """2xx answers without a schema (JSON) or a media type (pages, files); refusals without
    the error schema."""
    found = []
    for name, operation in _operations(document):
        for status, response in operation["responses"].items():
            content = response.get("content") or {}
            if status.startswith("2"):
                if status == "204":
                    if content:
                        found.append(f"{name} {status}: a 204 has no body")
                    continue
                if not content:
                    found.append(f"{name} {status}: no media type")
                for media, body in content.items():
                    if not (body.get("schema") or {}):
                        found.append(f"{name} {status} {media}: no schema")
            else:
                schema = (content.get("application/json") or {}).get("schema") or {}
                if schema.get("$ref") != ERROR_REF:
                    found.append(f"{name} {status}: not the error schema")
    return found


def test_every_answer_and_refusal_is_described(document):
    assert len(list(_operations(document))) >= 31
    assert undescribed(document) == []


def test_the_walk_finds_an_undescribed_answer(document):
    broken = json.loads(json.dumps(document))
    broken["paths"]["/api/v1/health"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {}
    broken["paths"]["/api/v1/status"]["post"]["responses"]["404"]["content"]["application/json"]["schema"] = {
        "type": "object"}
    assert undescribed(broken) == ["GET /api/v1/health 200 application/json: no schema",
                                   "POST /api/v1/status 404: not the error schema"]


def test_the_error_schema_lists_every_code(document):
    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["properties"]["code"]["$ref"] == "#/components/schemas/ErrorCode"
    assert schemas["ErrorCode"]["enum"] == [code.value for code in ErrorCode]


def test_the_committed_description_is_current(document):
    assert SNAPSHOT.read_text(encoding="utf-8") == as_text(document), \
        "contract/openapi.json is out of date: run `make contract` and commit it"


def test_a_code_outside_the_list_cannot_be_raised():
    assert AppError(404, "not_found", "未找到。").code is ErrorCode.NOT_FOUND
    with pytest.raises(ValueError):
        AppError(409, "some_new_code", "……")


# -- codes in the source ------------------------------------------------------------------

# Calls whose string argument at this position is an error code.
CODE_ARGUMENTS = {"AppError": 1, "Problem": 1, "send_error": 2, "error_body": 0, "ApiError": 0}


def code_literals(tree: ast.AST) -> tuple[list[tuple[int, str]], list[int]]:
    """(line, code) of every literal code handed to a raiser; lines comparing a `.code` with a
    string literal (clients compare with `ErrorCode` members)."""
    raised, compared = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            position = CODE_ARGUMENTS.get(name)
            args = [k.value for k in node.keywords if k.arg == "code"] if position is not None else []
            if position is not None and len(node.args) > position:
                args.append(node.args[position])
            raised += [(node.lineno, a.value) for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
                literals = [s for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
                literals += [e for s in sides if isinstance(s, ast.Tuple | ast.List | ast.Set) for e in s.elts
                             if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                if literals:
                    compared.append(node.lineno)
    return raised, compared


def _sources() -> list[Path]:
    return sorted([*(ROOT / "backend" / "app").rglob("*.py"), *(ROOT / "actions").rglob("*.py")])


def test_every_code_raised_is_listed_and_none_compared_as_text():
    known = {code.value for code in ErrorCode}
    unknown, as_text_ = [], []
    for path in _sources():
        raised, compared = code_literals(ast.parse(path.read_text(encoding="utf-8")))
        where = path.relative_to(ROOT).as_posix()
        unknown += [f"{where}:{line} {code}" for line, code in raised if code not in known]
        as_text_ += [f"{where}:{line}" for line in compared]
    assert unknown == [], "codes missing from pickup_rules.ErrorCode"
    assert as_text_ == [], "compare with ErrorCode members, not string literals"


def test_the_code_checks_find_a_stray_code():
    tree = ast.parse('raise AppError(409, "made_up", "x")\n'
                     'if error.code == "not_found":\n    pass\n'
                     'if error.code in ("a", "b"):\n    pass\n')
    raised, compared = code_literals(tree)
    assert raised == [(1, "made_up")] and compared == [2, 4]
