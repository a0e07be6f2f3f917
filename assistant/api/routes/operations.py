"""Liveness, readiness and Prometheus metrics (open without a key, for probes and scrapers)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..deps import AssistantDep, MetricsDep
from ..schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Alive: the process answers HTTP")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Ready: the model is loaded and the vector store answers",
    responses={503: {"model": Readiness, "description": "Not ready yet (loading) or the store is down."}},
)
async def readyz(assistant: AssistantDep) -> JSONResponse:
    state = await run_in_threadpool(assistant.ready)
    documents = None
    try:
        documents = len(await run_in_threadpool(assistant.documents))
    except Exception:  # the catalog is a local file; if even it fails, readiness says so below
        state["store_reachable"] = False
    ready = bool(state["model_loaded"] and state["store_reachable"])
    body = Readiness(ready=ready, documents=documents, **state)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Request counts and latencies per route, answer-stage latencies (from Answer.timings), "
    "answers by outcome (answered/abstained), backend fallbacks, errors by code, rate-limit refusals, "
    "streams stopped by a disconnect, the answer queue (in flight, queued, waits, 503 refusals) and the "
    "caches' sizes (entries and bytes). Each worker process reports its own numbers.",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "example": "# HELP assistant_answers_total Answers given, by backend and outcome.\n"
                    "# TYPE assistant_answers_total counter\n"
                    'assistant_answers_total{backend="extractive",outcome="answered"} 42.0\n'
                }
            },
            "description": "Prometheus text format.",
        }
    },
)
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=metrics.content_type)
