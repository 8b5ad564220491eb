"""One error shape for every failure: a stable code and a Chinese message an applicant can read."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pickup_rules import ErrorCode
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException


log = logging.getLogger(__name__)


class AppError(Exception):
    """A refusal. Its code must be one of `pickup_rules.ErrorCode` (a ValueError otherwise)."""

    def __init__(self, status: int, code: ErrorCode | str, message: str, *, details: object = None,
                 headers: dict[str, str] | None = None, keep_writes: bool = False) -> None:
        super().__init__(code)
        self.status = status
        self.code = ErrorCode(code)
        self.message = message
        self.details = details
        self.headers = headers
        # The request's unit of work commits what the handler recorded before refusing.
        self.keep_writes = keep_writes

    def keeping_writes(self) -> AppError:
        """The same refusal, with the request's writes kept (the services' errors are shared
        constants: never changed in place)."""
        return AppError(self.status, self.code, self.message, details=self.details,
                        headers=self.headers, keep_writes=True)


def not_found(message: str = "未找到相关记录。") -> AppError:
    return AppError(404, "not_found", message)


UNAUTHORIZED_MESSAGE = "需要登录工作人员账号或有效的工作人员令牌。"


def unauthorized() -> AppError:
    return AppError(401, "unauthorized", UNAUTHORIZED_MESSAGE, headers={"WWW-Authenticate": "Bearer"})


INTERNAL_MESSAGE = "系统暂时无法处理，请稍后再试或拨打12333咨询。"
CSRF_MESSAGE = "请求缺少有效的安全校验（X-CSRF-Token），请刷新页面后重试。"


def csrf_refused() -> AppError:
    return AppError(403, "csrf_failed", CSRF_MESSAGE)


class ErrorBody(BaseModel):
    """The one error shape, as the OpenAPI description shows it for every refusal."""

    code: ErrorCode = Field(description="stable snake_case code (pickup_rules.ErrorCode)")
    message: str = Field(description="Chinese, fit for an applicant")
    details: Any = Field(default=None, description="what the code needs said: the refused field, the options")


# Every status a route may answer besides its success, described once; routes list theirs
# with `error_responses(...)` so that the OpenAPI description names all of them.
ERROR_STATUSES: dict[int, str] = {
    400: "The body could not be read (a broken multipart form): `invalid_body`.",
    401: "Staff token missing or wrong: `unauthorized` (checked before the body is read).",
    403: "Not allowed: `forbidden`.",
    404: "Nothing found; a look-up of personal data answers the same whatever did not match.",
    409: "Refused by the current state (already published, collected, applied for…).",
    413: "Body over the route's cap: `body_too_large` (the list upload 50 MB, staff JSON 2 MB, "
         "other JSON 64 KB).",
    422: "Refused input: `invalid_request` (schema, `details.field`) or a rule's own code.",
    429: "Too many look-ups: `too_many_requests`, with Retry-After.",
    503: "A service behind the backend (the assistant) is unavailable; on SQLite, `database_busy` "
         "while a long list import holds the write lock (Retry-After).",
}


def error_responses(*statuses: int, html_route: bool = False) -> dict[int | str, dict[str, Any]]:
    if html_route:  # FastAPI would file the model under the page's text/html: spelt out as JSON
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        return {status: {"description": ERROR_STATUSES[status], "content": content} for status in statuses}
    return {status: {"model": ErrorBody, "description": ERROR_STATUSES[status]} for status in statuses}


_HTTP_CODES = {
    400: ("invalid_body", "提交的内容无法解析，请检查格式后重试。"),
    401: ("unauthorized", UNAUTHORIZED_MESSAGE),
    403: ("forbidden", "无权执行此操作。"),
    404: ("not_found", "未找到相关内容。"),
    405: ("method_not_allowed", "不支持该请求方式。"),
}


def error_body(code: ErrorCode | str, message: str, details: object = None) -> dict:
    body: dict[str, object] = {"code": ErrorCode(code).value, "message": message}
    if details is not None:
        body["details"] = details
    return body


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Field names only: the input itself may hold an ID number. `field` names the first
        # refused field as every other refusal does: its own name, without the path to it.
        errors = exc.errors()
        fields = [".".join(str(p) for p in err["loc"] if p != "body") for err in errors]
        leaves = [next((p for p in reversed(err["loc"]) if isinstance(p, str)), None) for err in errors]
        return JSONResponse(
            error_body("invalid_request", "提交的信息不完整或格式不正确，请检查后重试。",
                       {"field": leaves[0] if leaves else None, "fields": fields}),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_CODES.get(exc.status_code, ("http_error", "请求未能处理，请稍后再试。"))
        # Starlette's own headers are kept: `Allow` on a 405.
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError) -> JSONResponse:
        # On SQLite another transaction (a long list import) may hold the one write lock past
        # the busy timeout: nothing was written, and the same request succeeds later. Any other
        # failure goes on to the 500 below (and its logged traceback).
        if "database is locked" not in str(exc.orig):
            raise exc
        log.warning("database busy (%s: locked): %s %s answered 503", type(exc).__name__, request.method,
                    request.url.path)
        return JSONResponse(error_body(ErrorCode.DATABASE_BUSY, "系统正在处理大量数据，请稍后再试。"),
                            status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body(ErrorCode.INTERNAL_ERROR, INTERNAL_MESSAGE), status_code=500)
