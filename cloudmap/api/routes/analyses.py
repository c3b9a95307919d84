from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from cloudmap.api.auth import admin
from cloudmap.api.models import AnalysisJob
from cloudmap.api.problems import Problem
from cloudmap.services.analyses import AnalysisBusy
from cloudmap.services.limits import Busy

router = APIRouter(prefix="/analyses", tags=["analyses"])


@router.post("", response_model=AnalysisJob, status_code=202, summary="Start an analysis in the background",
             responses={409: {"description": "an analysis is already running"},
                        429: {"description": "too many analyses for this key (see Retry-After)"}})
def start(request: Request, key: dict = Depends(admin)) -> dict:
    try:
        request.app.state.analysis_rate.take(key["id"])
    except Busy as exc:
        raise Problem(429, exc.message, headers={"Retry-After": str(exc.retry_after)}) from None
    try:
        return request.app.state.analyses.start()
    except AnalysisBusy as exc:
        raise Problem(409, str(exc)) from None


@router.get("/{job_id}", response_model=AnalysisJob, summary="Status and summary of an analysis",
            responses={404: {"description": "no such analysis"}})
def status(request: Request, job_id: str = Path(max_length=200), key: dict = Depends(admin)) -> dict:
    job = request.app.state.analyses.get(job_id)
    if job is None:
        raise Problem(404, f"no analysis with id {job_id!r}")
    return job
