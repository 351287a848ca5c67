"""The explorer's ASGI application: JSON API (OpenAPI at ``/openapi.json``, docs at ``/docs``)
and the pages, served by one process.

Safety: request bodies are capped (:data:`MAX_BODY_BYTES`, 413 beyond); scenario files are
named, never addressed by path (see :mod:`detente.web.store`); YAML goes through the safe
loader of :mod:`detente.scenario.yamlsafe` (no tags, no code); every error, including an
unhandled one, is an RFC 9457 problem document (``application/problem+json``), never a
traceback — unexpected exceptions are logged on the server and answered with a generic 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from detente import __version__
from detente.models import available_models, get_model
from detente.models.base import jsonable
from detente.scenario.errors import InputError
from detente.scenario.load import LoadedScenario
from detente.scenario.yamlsafe import decode_text
from detente.web import service
from detente.web.jobs import JobManager, JobQueueFull
from detente.web.store import ScenarioStore, UnknownScenarioError

log = logging.getLogger("detente.web")

#: largest request body accepted (413 beyond)
MAX_BODY_BYTES = 1024 * 1024
STATIC = Path(__file__).with_name("static")
PROBLEM = "application/problem+json"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def plotly_js_path() -> Path | None:
    """The ``plotly.min.js`` shipped by the ``plotly`` Python package (None if not installed)."""
    try:
        import plotly
    except ImportError:  # pragma: no cover - plotly is part of the web extra
        return None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


# --------------------------------------------------------------------------------------------
# problem details


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(jsonable(body), status_code=status, media_type=PROBLEM)


def input_problem(exc: InputError) -> JSONResponse:
    return problem(
        422,
        "Invalid scenario",
        "; ".join(str(d) for d in exc.diagnostics[:5]) or "invalid input",
        diagnostics=service.diagnostics_json(exc.diagnostics),
    )


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = True
        chunks: list[bytes] = []
        if not too_big:
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.limit:
                    too_big = True
                    break
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        if too_big:
            response = problem(
                413,
                "Request too large",
                f"request bodies are limited to {self.limit} bytes",
            )
            await response(scope, receive, send)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class SecurityHeaders:
    """Same-origin pages: no framing, no sniffing, scripts from this server only."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    )
    CSP = (
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
        b"base-uri 'none'; frame-ancestors 'none'"
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = str(scope.get("path", "")).startswith("/docs")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self.HEADERS)
                if not is_docs:  # Swagger UI loads its assets from a CDN
                    headers.append((b"content-security-policy", self.CSP))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


# --------------------------------------------------------------------------------------------
# request bodies

Yaml = Annotated[str, Field(max_length=MAX_BODY_BYTES, description="a scenario as YAML text")]
Name = Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
WorldviewId = Annotated[str, Field(max_length=128)]


class DocumentRef(BaseModel):
    """A scenario: a file of the folder by ``scenario`` name, or a document as ``yaml`` text."""

    scenario: Name | None = Field(default=None, description="name of a file in the folder")
    yaml: Yaml | None = Field(default=None, description="the (edited) scenario as YAML text")
    name: Name | None = Field(default=None, description="file name used in messages")
    worldview: WorldviewId | None = Field(default=None, description="apply this worldview")


class Edit(BaseModel):
    path: str = Field(max_length=512, description="scenario path, e.g. actors.dprk.capability")
    value: Any = Field(description="a number or a distribution {dist, low, mode, high, ...}")


class EditRequest(DocumentRef):
    edits: list[Edit] = Field(default_factory=list, max_length=service.MAX_EDITS)


class ForecastRequest(DocumentRef):
    models: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=16, description="model names (default: every available model)"
    )


class CruxRequest(DocumentRef):
    model: str = Field(default="compromise", max_length=64)
    issue: str | None = Field(
        default=None,
        max_length=128,
        description="the conclusion is `forecast of ISSUE >= threshold` (worldview A vs B; "
        "default: the first issue)",
    )
    threshold: float = Field(default=50.0, ge=-1e9, le=1e9, allow_inf_nan=False)
    worldviews: tuple[WorldviewId, WorldviewId] | None = Field(
        default=None,
        description="the two worldviews [A, B] to compare (default: the scenario's first two)",
    )


class JobRequest(DocumentRef):
    kind: Literal["montecarlo", "strategies", "sensitivity"] = "montecarlo"
    model: str = Field(default="compromise", max_length=64)
    draws: int = Field(default=2000, ge=1, le=50_000)
    episodes: int = Field(default=500, ge=2, le=20_000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    output: str | None = Field(
        default=None,
        max_length=256,
        description="sensitivity: `forecast:ISSUE` or `strategy:METRIC[:A[-B]][@TYPE]`",
    )
    method: Literal["sobol", "morris"] = Field(
        default="morris", description="sensitivity: Sobol indices or Morris screening (SALib)"
    )
    n: int = Field(
        default=16,
        ge=2,
        le=1024,
        description="sensitivity: base samples (Sobol, a power of 2) or trajectories (Morris)",
    )


# --------------------------------------------------------------------------------------------
# the application


def create_app(scenarios_dir: Path, *, job_workers: int = 1) -> FastAPI:
    """The explorer for the scenario files in ``scenarios_dir``."""
    store = ScenarioStore(scenarios_dir)
    jobs = JobManager(workers=job_workers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        jobs.shutdown()

    app = FastAPI(
        title="detente explorer",
        version=__version__,
        description="Scenarios, worldviews, forecasts, strategies and cruxes of detente.",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.jobs = jobs

    # ---- errors as problem details --------------------------------------------------------

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(422, "Invalid request", detail or "invalid request", errors=errors)

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> Response:
        return input_problem(exc)

    @app.exception_handler(UnknownScenarioError)
    async def _unknown(_: Request, exc: UnknownScenarioError) -> Response:
        return problem(404, "Not found", str(exc))

    @app.exception_handler(JobQueueFull)
    async def _full(_: Request, exc: JobQueueFull) -> Response:
        return problem(503, "Busy", f"{exc}; try again later")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "Internal error", "an unexpected error occurred (logged on the server)")

    # ---- helpers --------------------------------------------------------------------------

    def load(ref: DocumentRef) -> tuple[str, LoadedScenario]:
        """The document's text and validated scenario (raises InputError / Unknown...)."""
        if (ref.scenario is None) == (ref.yaml is None):
            raise InputError.single("request", "give exactly one of `scenario` and `yaml`")
        if ref.scenario is not None:
            stored = store.get(ref.scenario)
            if stored.error is not None:
                raise stored.error
            assert stored.loaded is not None
            return stored.text, stored.loaded
        assert ref.yaml is not None
        name = ref.name or "edited.yaml"
        loaded, diags = service.validate_text(ref.yaml, name)
        if loaded is None:
            raise InputError(diags)
        return ref.yaml, loaded

    def check_model(model: str) -> None:
        known = available_models()
        if model not in known:
            raise InputError.single(
                "request", f"unknown model {model!r} (expected one of: {', '.join(known)})"
            )

    def document(text: str, name: str, worldview: str | None) -> dict[str, Any]:
        loaded, diags = service.validate_text(text, name)
        view = None
        if loaded is not None:
            try:
                view = service.scenario_view(loaded, worldview)
            except InputError as exc:
                diags = [*diags, *exc.diagnostics]
        return {
            "name": name,
            "yaml": text,
            "sha256": service.text_hash(text),
            "valid": loaded is not None,
            "diagnostics": service.diagnostics_json(diags),
            "view": view,
        }

    # ---- API ------------------------------------------------------------------------------

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness and version."""
        return {"status": "ok", "version": __version__}

    @app.get("/api/models", tags=["meta"])
    def models() -> list[dict[str, Any]]:
        """The forecasting models available in this installation."""
        return service.models_json()

    @app.get("/api/scenarios", tags=["scenarios"])
    def list_scenarios() -> list[dict[str, Any]]:
        """Every scenario file of the folder, with its title and whether it is valid."""
        out = []
        for name in store.names():
            stored = store.get(name)
            sc = stored.loaded.scenario if stored.loaded else None
            out.append(
                {
                    "name": name,
                    "id": sc.id if sc else None,
                    "title": sc.title if sc else None,
                    "question": sc.question if sc else None,
                    "actors": len(sc.actors) if sc else None,
                    "issues": len(sc.issues) if sc else None,
                    "worldviews": [w.id for w in sc.worldviews] if sc else [],
                    "valid": stored.error is None,
                    "errors": len(stored.error.diagnostics) if stored.error else 0,
                }
            )
        return out

    @app.get("/api/scenarios/{name}", tags=["scenarios"])
    def get_scenario(
        name: str,
        worldview: Annotated[str | None, Query(max_length=128)] = None,
    ) -> dict[str, Any]:
        """A scenario file: its YAML, validation diagnostics, and the view for a worldview."""
        stored = store.get(name)
        file_name = f"{name}.yaml"
        if stored.error is not None:
            return {
                "name": file_name,
                "yaml": stored.text,
                "sha256": service.text_hash(stored.text),
                "valid": False,
                "diagnostics": service.diagnostics_json(stored.error.diagnostics),
                "view": None,
            }
        assert stored.loaded is not None
        view = service.scenario_view(stored.loaded, worldview)  # unknown worldview: 422
        return {
            "name": file_name,
            "yaml": stored.text,
            "sha256": stored.loaded.sha256,
            "valid": True,
            "diagnostics": service.diagnostics_json(stored.loaded.warnings),
            "view": view,
        }

    @app.get("/api/scenarios/{name}/yaml", tags=["scenarios"], response_class=Response)
    def download_scenario(name: str) -> Response:
        """The scenario file as YAML (a download)."""
        stored = store.get(name)
        return Response(
            stored.text,
            media_type="application/yaml",
            headers={"content-disposition": f'attachment; filename="{name}.yaml"'},
        )

    @app.post("/api/validate", tags=["what-if"])
    def validate(ref: DocumentRef) -> dict[str, Any]:
        """Validate a document as ``detente validate`` does: located diagnostics, and its view."""
        if ref.yaml is None:
            text, loaded = load(ref)
            return document(text, loaded.file, ref.worldview)
        return document(ref.yaml, ref.name or "edited.yaml", ref.worldview)

    @app.post("/api/edit", tags=["what-if"])
    def edit(req: EditRequest) -> dict[str, Any]:
        """Set values or distributions at scenario paths (as a worldview override when a
        worldview is given), then validate the edited document as the CLI would."""
        if req.yaml is not None:
            text, name = req.yaml, req.name or "edited.yaml"
        else:
            if req.scenario is None:
                raise InputError.single("request", "give exactly one of `scenario` and `yaml`")
            stored = store.get(req.scenario)
            text, name = stored.text, f"{req.scenario}.yaml"
        try:
            new = service.apply_edits(
                text, name, [(e.path, e.value) for e in req.edits], req.worldview
            )
        except InputError as exc:
            out = document(text, name, req.worldview)
            out["applied"] = False
            out["diagnostics"] = service.diagnostics_json(exc.diagnostics) + out["diagnostics"]
            return out
        out = document(new, name, req.worldview)
        out["applied"] = True
        return out

    @app.post("/api/upload", tags=["what-if"])
    async def upload(
        file: Annotated[UploadFile, File(description="a scenario YAML file")],
    ) -> dict[str, Any]:
        """Upload a scenario file (kept in the page, not stored): located errors, or its view."""
        data = await file.read(MAX_BODY_BYTES + 1)
        name = Path(str(file.filename or "uploaded.yaml").replace("\\", "/")).name[:128]
        name = name or "uploaded.yaml"
        try:
            text = decode_text(data, name)
        except InputError as exc:
            return {
                "name": name,
                "yaml": "",
                "sha256": "",
                "valid": False,
                "diagnostics": service.diagnostics_json(exc.diagnostics),
                "view": None,
            }
        return document(text, name, None)

    @app.post("/api/forecast", tags=["forecasts"])
    def forecast(req: ForecastRequest) -> dict[str, Any]:
        """Point forecasts (distributions at their means) of each model, with rounds."""
        text, loaded = load(req)
        models = req.models if req.models is not None else available_models()
        for m in models:
            check_model(m)
        from detente.scenario.load import with_worldview

        sc = with_worldview(loaded, req.worldview)
        return {
            "scenario": sc.id,
            "worldview": req.worldview,
            "sha256": service.text_hash(text),
            "forecasts": service.run_forecasts(sc, models),
        }

    @app.post("/api/cruxes", tags=["analysis"])
    def cruxes(req: CruxRequest) -> dict[str, Any]:
        """``detente cruxes`` for `forecast of ISSUE >= threshold` between two worldviews: the
        judgments they disagree on, both sides' bases, each one's effect when swapped alone,
        and the minimal sets that flip the conclusion."""
        check_model(req.model)
        _, loaded = load(req)
        return service.cruxes(
            loaded, get_model(req.model), req.worldviews, req.issue, req.threshold
        )

    @app.post("/api/jobs", tags=["jobs"], status_code=202)
    def submit_job(req: JobRequest) -> dict[str, Any]:
        """Start a long run (Monte Carlo, strategies, sensitivity) in the background; poll
        ``/api/jobs/{id}``.
        The same question (scenario hash, kind, model, parameters, seed) is answered once."""
        text, loaded = load(req)
        from detente.scenario.load import with_worldview

        sc = with_worldview(loaded, req.worldview)
        digest = service.text_hash(text)
        if req.kind == "montecarlo":
            check_model(req.model)
            key = service.cache_key(
                digest, req.worldview, "montecarlo", req.model, req.draws, req.seed
            )
            model, draws, seed = req.model, req.draws, req.seed
            job = jobs.submit(
                "montecarlo",
                key,
                lambda progress: service.monte_carlo(sc, model, draws, seed, progress),
            )
        elif req.kind == "sensitivity":
            check_model(req.model)
            run = service.sensitivity_job(loaded.file, sc, req)
            key = service.cache_key(
                digest,
                req.worldview,
                "sensitivity",
                req.model,
                req.output,
                req.method,
                req.n,
                req.episodes,
                req.seed,
            )
            job = jobs.submit("sensitivity", key, run)
        else:
            if sc.game is None:
                raise InputError.single(
                    loaded.file, "the scenario has no `game:` section", field="game"
                )
            key = service.cache_key(digest, req.worldview, "strategies", req.episodes, req.seed)
            episodes, seed = req.episodes, req.seed
            job = jobs.submit(
                "strategies",
                key,
                lambda progress: service.strategies(sc, seed, episodes, progress),
            )
        return job.to_json()

    @app.get("/api/jobs", tags=["jobs"])
    def list_jobs() -> list[dict[str, Any]]:
        """Recent jobs (without their results)."""
        return [j.to_json(with_result=False) for j in jobs.list()]

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    def get_job(job_id: str) -> dict[str, Any]:
        """A job's status, progress (0..1) and, once done, its result."""
        job = jobs.get(job_id)
        if job is None:
            raise StarletteHTTPException(404, f"no job {job_id!r}")
        return job.to_json()

    @app.delete("/api/jobs/{job_id}", tags=["jobs"])
    def cancel_job(job_id: str) -> dict[str, Any]:
        """Cancel a job (it stops at its next progress report)."""
        job = jobs.cancel(job_id)
        if job is None:
            raise StarletteHTTPException(404, f"no job {job_id!r}")
        return job.to_json(with_result=False)

    # ---- pages ----------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/scenarios/{name}", include_in_schema=False)
    def scenario_page(name: str) -> FileResponse:
        store.get(name)  # 404 for an unknown name
        return FileResponse(STATIC / "scenario.html")

    @app.get("/explore", include_in_schema=False)
    def explore_page() -> FileResponse:
        return FileResponse(STATIC / "scenario.html")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        path = plotly_js_path()
        if path is None:
            raise StarletteHTTPException(404, "plotly is not installed (install detente[web])")
        return FileResponse(path, media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders)  # added last: outermost
    return app
