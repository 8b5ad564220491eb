from fastapi import APIRouter

from app.api.routes import applicants, hotline, public, staff, staff_session

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(public.router)
api_router.include_router(applicants.router)
api_router.include_router(staff_session.router)
api_router.include_router(staff.router)
api_router.include_router(hotline.router)
