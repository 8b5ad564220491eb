"""The FastAPI application. `uvicorn --factory app.main:create_app` after `python -m app.prestart`."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.main import api_router
from app.core.config import Settings, get_settings
from app.core.errors import install_error_handlers
from app.core.logging import install_id_masking
from app.rules.rate_limit import SlidingWindowLimiter


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        install_id_masking()
        yield

    app = FastAPI(
        title="领取技能人员国家职业资格证书 · 领证名单服务",
        version="1.0.0",
        description="The pickup-list backend: lists, notices, status, applications, working days.",
        lifespan=lifespan,
    )
    app.state.lookup_limiters = {
        "client": SlidingWindowLimiter(settings.lookup_limit_per_client, settings.lookup_window_seconds),
        "id": SlidingWindowLimiter(settings.lookup_limit_per_id, settings.lookup_window_seconds),
    }
    install_error_handlers(app)
    app.include_router(api_router)
    return app
