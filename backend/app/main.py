"""The FastAPI application. `uvicorn --factory app.main:create_app` after `python -m app.prestart`."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from app.api.deps import lookup_limiter, sign_in_limiter, staff_lookup_limiter
from app.api.main import api_router
from app.api.routes import pages
from app.core.config import Settings, get_settings
from app.core.db import engine_for
from app.core.edge import EdgeGuard, SecurityHeaders
from app.core.errors import install_error_handlers
from app.core.logging import install_id_masking
from app.services.notifications import NoticeDispatcher, RasaNotifier


def notice_dispatcher(settings: Settings) -> NoticeDispatcher | None:
    if not settings.rasa_url:
        return None
    factory = sessionmaker(engine_for(settings), expire_on_commit=False)
    return NoticeDispatcher(factory, RasaNotifier(settings.rasa_url, settings.rasa_jwt_secret),
                            max_attempts=settings.notify_max_attempts,
                            backoff_seconds=settings.notify_backoff_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        install_id_masking()
        dispatcher = notice_dispatcher(settings)
        task = (asyncio.create_task(dispatcher.run_forever(settings.notify_poll_seconds))
                if dispatcher else None)
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(
        title="领取技能人员国家职业资格证书 · 领证名单服务",
        version="1.0.0",
        description="The pickup-list backend: lists, notices, status, applications, working days.",
        lifespan=lifespan,
        # /docs is served by the pages router, with its own Content-Security-Policy.
        docs_url=None, redoc_url=None,
    )
    app.state.lookup_limiter = lookup_limiter(settings)
    app.state.staff_lookup_limiter = staff_lookup_limiter(settings)
    app.state.sign_in_limiter = sign_in_limiter(settings)
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(pages.router)
    # The last added runs first: headers on every answer, the edge's own refusals included.
    app.add_middleware(EdgeGuard, staff_token=settings.staff_token)
    app.add_middleware(SecurityHeaders)
    return app
