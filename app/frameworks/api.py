from typing import Any

from fastapi import APIRouter

from app.core.deps import SessionDep
from app.frameworks import service

router = APIRouter(prefix="/api/v1/frameworks", tags=["frameworks"])


@router.get("", summary="Every stored framework version")
def list_frameworks(session: SessionDep) -> list[dict[str, Any]]:
    return [service.summary(row) for row in service.list_versions(session)]


@router.get("/{key}", summary="The newest version of a framework, whole tree")
def get_latest(key: str, session: SessionDep) -> dict[str, Any]:
    row = service.get_version(session, key)
    return {**service.summary(row), "framework": row.content}


@router.get("/{key}/versions/{version}", summary="One version of a framework, whole tree")
def get_version(key: str, version: str, session: SessionDep) -> dict[str, Any]:
    row = service.get_version(session, key, version)
    return {**service.summary(row), "framework": row.content}
