"""The actions' typed answers against the backend's committed OpenAPI description
(`contract/openapi.json`, kept current by a backend test): every field the client reads exists
in the answer's schema with a compatible type, for the endpoint each client method calls. No
backend import: this environment has pydantic 1, the backend pydantic 2."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union

import pytest

from actions.api import answers
from actions.api.backend import ApiResult, BackendClient

SNAPSHOT = Path(__file__).resolve().parents[2] / "contract" / "openapi.json"
DOCUMENT = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _options(schema: dict) -> list[dict]:
    """The alternatives a value may take (anyOf flattened), each resolved."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return [o for part in schema["anyOf"] for o in _options(part)]
    return [schema]


def _fits(hint: Any, schema: dict, where: str) -> list[str]:
    """What is wrong with reading a value of `schema` as `hint` ([] when nothing)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    options = _options(schema)
    nullable = any(o.get("type") == "null" for o in options)
    values = [o for o in options if o.get("type") != "null"]
    if origin in (Union, types.UnionType):
        if nullable and type(None) not in args:
            return [f"{where}: the backend may send null"]
        inner = [a for a in args if a is not type(None)]
        problems = []
        for option in values:  # each kind the backend may send fits one of the hint's types
            if all(_fits(a, option, where) for a in inner):
                problems += _fits(inner[0], option, where)
        return problems
    if nullable:
        return [f"{where}: the backend may send null"]
    if not values:
        return [f"{where}: no schema"]
    problems = []
    for option in values:
        problems += _fits_one(hint, origin, args, option, where)
    return problems


def _fits_one(hint: Any, origin: Any, args: tuple, schema: dict, where: str) -> list[str]:
    kind = schema.get("type")
    if hint is Any:
        return []
    if origin is Literal:
        allowed = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
        if allowed is None or not set(allowed) <= set(args):
            return [f"{where}: the backend may send values outside {args}"]
        return []
    if origin is tuple:
        if kind != "array":
            return [f"{where}: not an array"]
        return _fits(args[0], schema.get("items") or {}, f"{where}[]")
    if origin is dict:
        return [] if kind == "object" else [f"{where}: not an object"]
    if dataclasses.is_dataclass(hint):
        return fields_fit(hint, schema, where)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return [] if kind == "string" else [f"{where}: not a string"]
    if hint is dt.date:
        return [] if kind == "string" and schema.get("format") == "date" else [f"{where}: not a date"]
    expected = {str: "string", int: "integer", bool: "boolean"}.get(hint)
    if expected is None or kind != expected:
        return [f"{where}: {kind} read as {getattr(hint, '__name__', hint)}"]
    return []


def fields_fit(cls: type, schema: dict, where: str | None = None) -> list[str]:
    """Every field of the dataclass exists in the object schema, required when the dataclass
    has no default for it, with a compatible type."""
    schema = _resolve(schema)
    where = where or cls.__name__
    properties, required = schema.get("properties") or {}, set(schema.get("required") or ())
    hints = typing.get_type_hints(cls)
    problems = []
    for item in dataclasses.fields(cls):
        at = f"{where}.{item.name}"
        if item.name not in properties:
            problems.append(f"{at}: not in the schema")
            continue
        has_default = item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
        if item.name not in required and not has_default:
            problems.append(f"{at}: optional in the schema, required here")
        problems += _fits(hints[item.name], properties[item.name], at)
    return problems


def _calls() -> list[tuple[str, str, type]]:
    """(HTTP method, path, answer class) of every client method, as the client makes them."""
    made: list[tuple[str, str, type]] = []

    def record(self, method: str, path: str, answer: type, **_: Any) -> ApiResult:  # noqa: ANN001
        made.append((method, path, answer))
        return ApiResult()

    client = BackendClient("http://backend.invalid", 1.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BackendClient, "_request", record)
        client.health()
        client.offices("杭州市")
        client.working_day(dt.date(2026, 10, 8))
        client.notice(7)
        client.status("王秀英", "330106196503150012")
        client.create_application({"kind": "mail"}, "key-0001-0001")
        client.check_organization({"batch_no": "浙鉴2026第15批"})
        client.subscribe(channel="socketio", conversation_id="c-1", name="王秀英", id_number="330106196503150012")
    return made


def _operation(method: str, path: str) -> dict:
    for template, item in DOCUMENT["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not in contract/openapi.json")


CALLS = _calls()


def test_every_client_method_is_checked():
    assert len(CALLS) == len([n for n in vars(BackendClient) if not n.startswith("_") and n != "from_env"])


@pytest.mark.parametrize("method, path, answer", CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_the_typed_answer_reads_what_the_backend_declares(method: str, path: str, answer: type):
    successes = {status: response for status, response in _operation(method, path)["responses"].items()
                 if status.startswith("2")}
    assert successes
    for status, response in successes.items():
        schema = response["content"]["application/json"]["schema"]
        assert _resolve(schema) is SCHEMAS[answer.SCHEMA], f"{status}: {schema} is not {answer.SCHEMA}"
        assert fields_fit(answer, schema) == []


def test_the_check_finds_drift():
    @dataclasses.dataclass(frozen=True)
    class Drifted:
        name: str
        certificates: tuple[answers.Office, ...]  # certificates are no offices
        id_number: str  # never sent
        id_number_masked: int

    assert fields_fit(Drifted, SCHEMAS["StatusReport"]) == [
        "Drifted.certificates[].code: not in the schema",
        "Drifted.certificates[].region: not in the schema",
        "Drifted.certificates[].name: not in the schema",
        "Drifted.certificates[].address: not in the schema",
        "Drifted.certificates[].phone: not in the schema",
        "Drifted.certificates[].hours: not in the schema",
        "Drifted.id_number: not in the schema",
        "Drifted.id_number_masked: string read as int",
    ]


def test_the_client_refuses_an_answer_without_its_shape():
    with pytest.raises(answers.BadAnswer):
        answers.build(answers.WorkingDay, {"date": "2026-10-08", "workday": "yes", "estimated": False})
    day = answers.build(answers.WorkingDay, {"date": "2026-10-08", "workday": True, "estimated": False,
                                             "added_later": 1})
    assert day == answers.WorkingDay(date=dt.date(2026, 10, 8), workday=True, estimated=False)
