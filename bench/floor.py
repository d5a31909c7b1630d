"""The floor for evidence writes: a bare Starlette endpoint doing one single-row insert.

Same database, same engine settings (WAL, foreign keys, write lock up front on SQLite), same
server (uvicorn), so the gap to the real endpoint is what sysreview adds: authentication, the
permission check, validation, links, history, the audit row.
"""

from __future__ import annotations

import json
import os

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.core.db import make_engine
from app.core.timeutil import utcnow

engine = make_engine(os.environ["DATABASE_URL"])
INSERT = text(
    "INSERT INTO evidence (id, review_id, title, narrative, source_type, category, polarity, collected_on, "
    "collected_by_id, quote, tags, version, content_hash, created_at, updated_at) VALUES (:id, :review_id, "
    ":title, :narrative, :source_type, :category, :polarity, :collected_on, :collected_by_id, '', :tags, 1, "
    "'', :now, :now)"
)


def put_evidence(request: Request) -> JSONResponse:
    # Starlette runs a plain function in its thread pool, as FastAPI does for sync routes.
    body = json.loads(request._body)  # read by the async wrapper below
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            INSERT,
            {
                "id": request.path_params["evidence_id"],
                "review_id": int(request.path_params["review_id"]),
                "title": body["title"],
                "narrative": body.get("narrative", ""),
                "source_type": body["source_type"],
                "category": body["category"],
                "polarity": body["polarity"],
                "collected_on": body["collected_on"],
                "collected_by_id": int(os.environ["FLOOR_USER_ID"]),
                "tags": json.dumps(body.get("tags", [])),
                "now": now,
            },
        )
    return JSONResponse({"id": request.path_params["evidence_id"]}, status_code=201)


async def put_route(request: Request) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    request._body = await request.body()
    return await run_in_threadpool(put_evidence, request)


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/floor/reviews/{review_id:int}/evidence/{evidence_id}", put_route, methods=["PUT"]),
        Route("/healthz", health),
    ]
)
