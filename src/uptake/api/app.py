"""The routes of the scores API (FastAPI), read-only over the published marts.

Every request reads the published file as it is at that moment through its own cursor
(:class:`uptake.api.database.PublishedDatabase`); no route writes. Errors are JSON
``{"detail": ...}``: 404 for an id the marts do not hold, 422 for a bad parameter, 503
while there is no published file (or it lacks the table a route reads). No route returns
a name or an email: the marts hold none, and the routes select their columns by name.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from uptake.api.database import PublishedDatabase, PublishedUnavailable, Reading
from uptake.api.metrics import CATALOGUE, Grain, series_query

logger = logging.getLogger("uptake.api")

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

Cursor = duckdb.DuckDBPyConnection


# --- response models (they make the OpenAPI schema) ----------------------------------


class Error(BaseModel):
    detail: str


class Health(BaseModel):
    status: str = Field(description="ok when the published file can be read")
    published_at: datetime | None = Field(description="When `uptake publish` wrote it (UTC)")
    relations: int | None
    total_rows: int | None


class Factor(BaseModel):
    factor: str = Field(description="A feature (or a category against its reference)")
    contribution: float = Field(description="What it adds to the log-odds of the score")


class AdoptionScore(BaseModel):
    user_id: int
    probability: float = Field(description="Probability of adopting within the horizon")
    decile: int = Field(description="1 (least likely) to 10 among the same cut-off's accounts")
    is_on_the_fence: bool
    on_the_fence_low: float | None = Field(description="The model's band: lower end")
    on_the_fence_high: float | None = Field(description="The model's band: upper end")
    cutoff_days: int = Field(description="Days after signup at which the account was scored")
    top_factors: list[Factor]
    model_name: str
    model_version: str
    scored_at: datetime


class AdoptionScorePage(BaseModel):
    total: int
    limit: int
    offset: int
    next: str | None = Field(description="URL of the next page; null on the last")
    items: list[AdoptionScore]


class PageRecommendation(BaseModel):
    rank: int = Field(description="1 = best")
    page: str
    score: float | None = Field(description="Mean cosine similarity to the user's pages")
    model_name: str | None


class PageRecommendations(BaseModel):
    user_id: str
    recommendations: list[PageRecommendation] = Field(
        description="Empty for a user who has used every page"
    )


class ShareViewScore(BaseModel):
    share_id: str
    customer_code: str | None
    industry: str | None
    share_channel: str | None
    shared_at: datetime | None
    probability: float = Field(description="Probability that the share gets viewed")
    decile: int
    is_on_the_fence: bool
    on_the_fence_low: float | None
    on_the_fence_high: float | None
    top_factors: list[Factor]
    model_name: str
    model_version: str
    scored_at: datetime


class ShareViewScorePage(BaseModel):
    total: int
    limit: int
    offset: int
    next: str | None
    items: list[ShareViewScore]


class MetricInfo(BaseModel):
    name: str
    description: str
    unit: str
    grains: list[str]
    dimensions: list[str]
    tables: list[str] = Field(description="The published marts it is computed from")
    takes_period: bool = Field(description="Reads the query parameter period (retention)")


class SeriesPoint(BaseModel):
    period_start: date
    dimension_value: str | None = Field(description="null without a dimension")
    value: float | None


class Series(BaseModel):
    metric: str
    unit: str
    grain: str
    dimension: str | None
    period: int | None
    total: int
    limit: int
    offset: int
    next: str | None
    points: list[SeriesPoint]


# --- helpers -----------------------------------------------------------------------


def _records(cursor: Cursor, sql: str, parameters: Any = None) -> list[dict[str, Any]]:
    cursor.execute(sql, parameters)
    names = [column[0] for column in cursor.description]
    return [
        {
            name: None if isinstance(value, float) and not math.isfinite(value) else value
            for name, value in zip(names, row, strict=True)
        }
        for row in cursor.fetchall()
    ]


_FACTOR = re.compile(r"^(?P<factor>.*) \((?P<contribution>[+-]?[0-9.]+)\)$")


def parse_factors(text: str | None) -> list[Factor]:
    """``"feature (+0.42); other = x vs y (+0.10)"`` (uptake.ml.explain.top_factors) as a list."""
    factors = []
    for part in (text or "").split("; "):
        match = _FACTOR.match(part.strip())
        if match:
            contribution = float(match["contribution"])
            factors.append(Factor(factor=match["factor"], contribution=contribution))
    return factors


def _next_link(request: Request, total: int, limit: int, offset: int) -> str | None:
    if offset + limit >= total:
        return None
    return str(request.url.include_query_params(limit=limit, offset=offset + limit))


def _paginate(
    request: Request,
    reading: Reading,
    sql: str,
    parameters: dict[str, Any],
    order_by: str,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """One page of the rows of ``sql``: total, limit, offset, the next page's URL, rows.
    The total is counted once per published file and query."""
    total = reading.cached(
        ("count", sql, tuple(sorted(parameters.items()))),
        lambda: reading.cursor.execute(f"select count(*) from ({sql})", parameters).fetchone()[0],
    )
    rows = _records(
        reading.cursor,
        f"select * from ({sql}) order by {order_by} limit $limit offset $offset",
        {**parameters, "limit": limit, "offset": offset},
    )
    return _page_of(request, total, limit, offset, rows)


def _scored_page(
    request: Request,
    reading: Reading,
    sql: str,
    filters: dict[str, tuple[str, Any]],
    order_by: str,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """A page of scored rows with their top factors as lists. ``filters``: parameter ->
    (condition on it, value); a filter whose value is None is left out."""
    kept = {name: pair for name, pair in filters.items() if pair[1] is not None}
    if kept:
        sql += " where " + " and ".join(condition for condition, _ in kept.values())
    page = _paginate(
        request,
        reading,
        sql,
        {name: value for name, (_, value) in kept.items()},
        order_by,
        limit,
        offset,
    )
    rows = page.pop("rows")
    return {**page, "items": [_with_factors(row) for row in rows]}


def _with_factors(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "top_factors": parse_factors(row["top_factors"])}


def _page_of(request: Request, total: int, limit: int, offset: int, rows: list) -> dict:
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "next": _next_link(request, total, limit, offset),
        "rows": rows,
    }


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
Offset = Annotated[int, Query(ge=0, description="Items to skip")]


def _reading(request: Request) -> Iterator[Reading]:
    with request.app.state.database.read() as reading:
        yield reading


Reader = Annotated[Reading, Depends(_reading)]

_ERRORS = {503: {"model": Error, "description": "No published file to read"}}
_NOT_FOUND = {404: {"model": Error, "description": "The marts hold no such id"}, **_ERRORS}


def _missing_table(error: duckdb.CatalogException) -> str:
    return (
        f"the published file lacks a table this route reads ({str(error).splitlines()[0]}): "
        "the build that was published did not make it"
    )


def create_app(published: Path) -> FastAPI:
    """The API over the published file at ``published`` (opened read-only per request)."""
    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from the
    # package, not from a CDN, so the docs open where only the API is reachable.
    app = FastAPIOffline(
        title="uptake scores API",
        version="1",
        description=(
            "Read-only answers from the published marts of the latest successful uptake "
            "build: adoption scores of accounts, page recommendations of web-tool users, "
            "view probabilities of open shares and metric series. A new publish is served "
            "from the next request on, without a restart."
        ),
    )
    app.state.database = PublishedDatabase(published)

    @app.exception_handler(PublishedUnavailable)
    async def _unavailable(request: Request, error: PublishedUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(error)})

    @app.exception_handler(duckdb.CatalogException)
    async def _catalog(request: Request, error: duckdb.CatalogException) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": _missing_table(error)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s", request.url.path)
        return JSONResponse(
            status_code=500, content={"detail": f"internal error: {type(error).__name__}"}
        )

    @app.get("/", include_in_schema=False)
    def index() -> dict[str, str]:
        return {"docs": "/docs", "openapi": "/openapi.json", "health": "/health"}

    @app.get("/health", response_model=Health, responses=_ERRORS, tags=["service"])
    def health(reading: Reader) -> dict[str, Any]:
        """Whether the published file can be read, and when it was published."""
        try:
            rows = _records(reading.cursor, "select * from main._published")
        except duckdb.CatalogException:
            rows = []
        log = rows[-1] if rows else {}
        return {
            "status": "ok",
            "published_at": log.get("published_at"),
            "relations": log.get("relations"),
            "total_rows": log.get("total_rows"),
        }

    # --- adoption ----------------------------------------------------------------

    adoption_sql = """
        select
            scores.user_id, scores.probability, scores.decile, scores.is_on_the_fence,
            metrics.on_the_fence_low, metrics.on_the_fence_high, scores.cutoff_days,
            scores.top_factors, scores.model_name, scores.model_version, scores.scored_at
        from marts.ml_adoption_scores as scores
        left join marts.ml_adoption_metrics as metrics
            on scores.model_name = metrics.model_name
            and scores.cutoff_days = metrics.cutoff_days
    """

    @app.get(
        "/accounts/{user_id}/adoption-score",
        response_model=AdoptionScore,
        responses=_NOT_FOUND,
        tags=["scores"],
    )
    def adoption_score(user_id: int, reading: Reader) -> dict[str, Any]:
        """An account's probability of adopting, its decile, on-the-fence flag and the
        factors that raise its score most. Only accounts whose adoption is still open are
        scored: 404 for an account already decided (adopted, or past the horizon)."""
        rows = _records(reading.cursor, adoption_sql + " where scores.user_id = ?", [user_id])
        if rows:
            return _with_factors(rows[0])
        known = _records(
            reading.cursor, "select 1 from marts.dim_accounts where user_id = ? limit 1", [user_id]
        )
        if known:
            raise HTTPException(
                404,
                f"account {user_id} has no adoption score: its adoption is decided "
                "(adopted, or past the horizon), so it is not scored",
            )
        raise HTTPException(404, f"no account {user_id} in the published marts")

    @app.get(
        "/adoption-scores", response_model=AdoptionScorePage, responses=_ERRORS, tags=["scores"]
    )
    def adoption_scores(
        request: Request,
        reading: Reader,
        decile: Annotated[int | None, Query(ge=1, le=10)] = None,
        on_the_fence: bool | None = None,
        cutoff_days: Annotated[int | None, Query(ge=0)] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """The scored accounts, most likely to adopt first (then by user_id); optionally
        one decile, the on-the-fence ones only (or the others) or one cut-off."""
        return _scored_page(
            request,
            reading,
            adoption_sql,
            {
                "decile": ("scores.decile = $decile", decile),
                "fence": ("scores.is_on_the_fence = $fence", on_the_fence),
                "cutoff": ("scores.cutoff_days = $cutoff", cutoff_days),
            },
            "probability desc, user_id",
            limit,
            offset,
        )

    # --- page recommendations -------------------------------------------------------

    @app.get(
        "/web-users/{user_id}/page-recommendations",
        response_model=PageRecommendations,
        responses=_NOT_FOUND,
        tags=["scores"],
    )
    def page_recommendations(
        user_id: Annotated[
            str, PathParam(pattern="^[0-9]{1,64}$", description="Web-tool user id (digits)")
        ],
        reading: Reader,
    ) -> dict[str, Any]:
        """The pages a web-tool user has not used yet, best first (at most the build's
        recommendation_top_n). An empty list for a user who has used every page."""
        rows = _records(
            reading.cursor,
            """
            select recommendation_rank as rank, page, score, model_name
            from marts.ml_page_recommendations
            where user_id = ?
            order by recommendation_rank
            """,
            [user_id],
        )
        if not rows:
            known = _records(
                reading.cursor,
                "select 1 from marts.dim_users where user_type = 'web_user' and user_id = ?"
                " limit 1",
                [user_id],
            )
            if not known:
                raise HTTPException(404, f"no web-tool user {user_id} in the published marts")
        return {"user_id": user_id, "recommendations": rows}

    # --- share view probabilities ------------------------------------------------------

    share_sql = """
        select
            scores.share_id, shares.customer_code, shares.industry, shares.share_channel,
            shares.shared_at, scores.probability, scores.decile, scores.is_on_the_fence,
            metrics.on_the_fence_low, metrics.on_the_fence_high, scores.top_factors,
            scores.model_name, scores.model_version, scores.scored_at
        from marts.ml_share_view_scores as scores
        left join marts.fct_shares as shares on scores.share_id = shares.share_id
        left join marts.ml_share_view_metrics as metrics
            on scores.model_name = metrics.model_name
    """

    @app.get(
        "/shares/{share_id:path}/view-probability",
        response_model=ShareViewScore,
        responses=_NOT_FOUND,
        tags=["scores"],
    )
    def share_view_probability(share_id: str, reading: Reader) -> dict[str, Any]:
        """The probability that an open share (not viewed yet, its horizon still running)
        gets viewed, with its decile, on-the-fence flag and top factors. A share id is
        `share_view/<file>:<line>`; its slash may be sent as is or as %2F."""
        rows = _records(reading.cursor, share_sql + " where scores.share_id = ?", [share_id])
        if rows:
            return _with_factors(rows[0])
        known = _records(
            reading.cursor, "select 1 from marts.fct_shares where share_id = ? limit 1", [share_id]
        )
        if known:
            raise HTTPException(
                404,
                f"share {share_id} has no view probability: it is not open (viewed, or past "
                "the horizon)",
            )
        raise HTTPException(404, f"no share {share_id} in the published marts")

    @app.get(
        "/share-view-scores",
        response_model=ShareViewScorePage,
        responses=_ERRORS,
        tags=["scores"],
    )
    def share_view_scores(
        request: Request,
        reading: Reader,
        customer: Annotated[str | None, Query(max_length=64, description="customer code")] = None,
        decile: Annotated[int | None, Query(ge=1, le=10)] = None,
        on_the_fence: bool | None = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """The open shares, most likely to be viewed first (then by share_id); optionally
        one customer, one decile or the on-the-fence ones only (or the others)."""
        return _scored_page(
            request,
            reading,
            share_sql,
            {
                "customer": ("shares.customer_code = $customer", customer),
                "decile": ("scores.decile = $decile", decile),
                "fence": ("scores.is_on_the_fence = $fence", on_the_fence),
            },
            "probability desc, share_id",
            limit,
            offset,
        )

    # --- metrics ----------------------------------------------------------------------

    @app.get("/metrics", response_model=list[MetricInfo], tags=["metrics"])
    def metrics() -> list[dict[str, Any]]:
        """The metrics that /metrics/{name} serves, with their grains and dimensions."""
        return [
            {
                "name": metric.name,
                "description": metric.description,
                "unit": metric.unit,
                "grains": list(metric.grains),
                "dimensions": list(metric.dimensions),
                "tables": metric.tables,
                "takes_period": metric.period_column is not None,
            }
            for metric in CATALOGUE.values()
        ]

    @app.get(
        "/metrics/{name}",
        response_model=Series,
        responses={
            404: {"model": Error, "description": "No such metric"},
            **_ERRORS,
        },
        tags=["metrics"],
    )
    def metric_series(
        request: Request,
        name: str,
        reading: Reader,
        grain: Annotated[Grain, Query(description="day, week or month")] = "day",
        dimension: Annotated[
            str | None, Query(max_length=64, description="split by (see /metrics)")
        ] = None,
        start: Annotated[date | None, Query(description="first period start")] = None,
        end: Annotated[date | None, Query(description="last period start")] = None,
        period: Annotated[
            int | None, Query(ge=0, le=1000, description="retention: period N (default 1)")
        ] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """A metric's series: one value per period (and dimension value), oldest first."""
        metric = CATALOGUE.get(name)
        if metric is None:
            raise HTTPException(404, f"no metric {name!r}; the metrics are: {', '.join(CATALOGUE)}")
        problems = []
        if grain not in metric.grains:
            problems.append(
                _problem("grain", grain, f"{name} has grains {', '.join(metric.grains)}")
            )
        if dimension is not None and dimension not in metric.dimensions:
            problems.append(
                _problem(
                    "dimension",
                    dimension,
                    f"{name} has dimensions {', '.join(metric.dimensions) or '(none)'}",
                )
            )
        if period is not None and metric.period_column is None:
            problems.append(_problem("period", period, f"{name} takes no period"))
        if start and end and start > end:
            problems.append(_problem("end", str(end), "end is before start"))
        if problems:
            raise RequestValidationError(problems)
        if metric.period_column is not None and period is None:
            period = 1
        sql = series_query(metric, grain, dimension)
        parameters: dict[str, Any] = {"start": start, "end": end}
        if metric.period_column is not None:
            parameters["period"] = period
        if "$grain" in sql:
            parameters["grain"] = grain
        # A series is small (periods x dimension values) and the file never changes
        # under a generation: computed once, then paged from memory.
        series = reading.cached(
            ("series", sql, tuple(sorted(parameters.items(), key=str))),
            lambda: _records(reading.cursor, sql + " order by 1, 2 nulls first", parameters),
        )
        page = _page_of(request, len(series), limit, offset, series[offset : offset + limit])
        points = page.pop("rows")
        return {
            "metric": name,
            "unit": metric.unit,
            "grain": grain,
            "dimension": dimension,
            "period": period,
            **page,
            "points": points,
        }

    return app


def _problem(parameter: str, value: Any, message: str) -> dict[str, Any]:
    """A validation problem in FastAPI's 422 shape."""
    return {"type": "value_error", "loc": ["query", parameter], "msg": message, "input": value}
