"""One error shape for every failure: a stable code and a Chinese message an applicant can read."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class AppError(Exception):
    def __init__(self, status: int, code: str, message: str, *, details: object = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def not_found(message: str = "未找到相关记录。") -> AppError:
    return AppError(404, "not_found", message)


_HTTP_CODES = {
    401: ("unauthorized", "需要工作人员身份验证。"),
    403: ("forbidden", "无权执行此操作。"),
    404: ("not_found", "未找到相关内容。"),
    405: ("method_not_allowed", "不支持该请求方式。"),
}


def _body(code: str, message: str, details: object = None) -> dict:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message, exc.details), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Field names only: the input itself may hold an ID number. `field` names the first
        # refused field as every other refusal does: its own name, without the path to it.
        errors = exc.errors()
        fields = [".".join(str(p) for p in err["loc"] if p != "body") for err in errors]
        leaves = [next((p for p in reversed(err["loc"]) if isinstance(p, str)), None) for err in errors]
        return JSONResponse(
            _body("invalid_request", "提交的信息不完整或格式不正确，请检查后重试。",
                  {"field": leaves[0] if leaves else None, "fields": fields}),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_CODES.get(exc.status_code, ("http_error", "请求未能处理，请稍后再试。"))
        return JSONResponse(_body(code, message), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body("internal_error", "系统暂时无法处理，请稍后再试或拨打12333咨询。"),
                            status_code=500)
