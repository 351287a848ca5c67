"""The explorer's ASGI application: JSON API (OpenAPI at ``/openapi.json``, docs at ``/docs``)
and the pages, served by one process.

Safety: request bodies are capped (:data:`MAX_BODY_BYTES`, 413 beyond); scenario files are
named, never addressed by path (see :mod:`detente.web.store`); YAML goes through the safe
loader of :mod:`detente.scenario.yamlsafe` (no tags, no code); every error, including an
unhandled one, is an RFC 9457 problem document (``application/problem+json``), never a
traceback — unexpected exceptions are logged on the server and answered with a generic 500.
Only the ``Host`` names the server was started for are answered (421 otherwise: no DNS
rebinding). What a request may cost is bounded before any work (:mod:`detente.web.limits`),
and CPU work runs on a bounded thread pool, off the event loop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from detente import __version__
from detente.models import available_models, get_model
from detente.models.base import jsonable
from detente.scenario.errors import InputError
from detente.scenario.load import LoadedScenario
from detente.scenario.yamlsafe import decode_text
from detente.web import service, whatif
from detente.web.jobs import JobManager, JobQueueFull
from detente.web.limits import CLIENT, Busy, Gate, Limits, TooCostly, check_size, check_text_cost
from detente.web.store import ScenarioStore, UnknownScenarioError

log = logging.getLogger("detente.web")

#: largest request body accepted by default (413 beyond; ``Limits.body_bytes``)
MAX_BODY_BYTES = Limits.body_bytes
#: the Host names always answered (plus the bound address and ``--allowed-host`` names)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
#: deepest nesting and most items of a what-if value (a number or a distribution with its basis)
MAX_VALUE_DEPTH = 8
MAX_VALUE_NODES = 1000
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


def host_name(value: str) -> str:
    """A ``Host`` header's name, without its port, lower case (``[::1]:8000`` -> ``::1``)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


class HostCheck:
    """Answer only requests whose ``Host`` is one of ``hosts`` (400 without one, 421 for another
    name), so a page on another site cannot reach the explorer by DNS rebinding; and note the
    client (its ``X-Detente-Client`` header, else its address) for the per-client limits."""

    def __init__(self, app: ASGIApp, hosts: Sequence[str]) -> None:
        self.app = app
        self.hosts = sorted({host_name(h) for h in hosts})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin-1")
        if not host.strip():
            await problem(400, "Bad request", "a Host header is required")(scope, receive, send)
            return
        if host_name(host) not in self.hosts:
            detail = (
                f"this explorer answers only for {', '.join(self.hosts)} (got Host "
                f"{host[:100]!r}); start it with --allowed-host NAME to add a name"
            )
            await problem(421, "Misdirected request", detail)(scope, receive, send)
            return
        tag = headers.get(b"x-detente-client", b"").decode("latin-1")[:64]
        client = scope.get("client") or ("-", 0)
        token = CLIENT.set(tag if tag and tag.isprintable() else str(client[0]))
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


def _depth_and_size(value: Any) -> tuple[int, int]:
    """How deep and how many items ``value`` (JSON data) has, without recursion."""
    depth, size = 0, 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        size += 1
        depth = max(depth, level)
        if size > MAX_VALUE_NODES or depth > MAX_VALUE_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return depth, size


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

    @field_validator("value")
    @classmethod
    def _small(cls, value: Any) -> Any:
        depth, size = _depth_and_size(value)
        if depth > MAX_VALUE_DEPTH:
            raise ValueError(
                f"a what-if value is a number or a distribution with its basis: nested at "
                f"most {MAX_VALUE_DEPTH} levels deep (this one is deeper)"
            )
        if size > MAX_VALUE_NODES:
            raise ValueError(f"a what-if value has at most {MAX_VALUE_NODES} items")
        return value


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
    kind: Literal["montecarlo", "strategies", "sensitivity", "hindcast", "scorecards"] = Field(
        default="montecarlo",
        description="hindcast and scorecards compare the base scenario and every worldview "
        "(`worldview` is ignored)",
    )
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


class PanelRequest(DocumentRef):
    """The crux panel of two worldviews (``worldview`` is ignored: the pair is the question)."""

    worldviews: tuple[WorldviewId, WorldviewId] | None = Field(
        default=None,
        description="the two worldviews [A, B] (default: the scenario's first two)",
    )
    scorecards: list[Annotated[str, Field(max_length=128)]] | None = Field(
        default=None, max_length=64, description="scorecard ids (default: every scorecard)"
    )
    episodes: int = Field(
        default=60, ge=2, le=20_000, description="episodes per evaluation (limit panel_episodes)"
    )
    max_evaluations: int = Field(
        default=32,
        ge=1,
        le=100_000,
        description="Shapley budget: coalitions per scorecard (limit panel_evaluations)",
    )
    seed: int = Field(default=0, ge=0, le=2**32 - 1)


# --------------------------------------------------------------------------------------------
# the application


def create_app(
    scenarios_dir: Path,
    *,
    job_workers: int = 1,
    hosts: Sequence[str] = LOOPBACK_HOSTS,
    limits: Limits | None = None,
) -> FastAPI:
    """The explorer for the scenario files in ``scenarios_dir``, answering the ``Host`` names
    ``hosts`` (the loopback names by default), within ``limits``."""
    from detente.strategy.checks import check_strategies

    limits = limits or Limits()
    documents = whatif.DocumentCache((check_strategies,), size=limits.documents_cached)
    store = ScenarioStore(scenarios_dir, documents)
    jobs = JobManager(
        workers=job_workers,
        max_pending=limits.jobs_total,
        per_client=limits.jobs_per_client,
    )
    gate = Gate(limits)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        jobs.shutdown()
        gate.shutdown()

    def cpu(status: int = 200) -> Callable[[Callable[..., Any]], Callable[..., Awaitable[Any]]]:
        """Run a route's work on the bounded thread pool (:class:`~detente.web.limits.Gate`),
        its JSON answer encoded there too (the answers are JSON data already: FastAPI's
        generic encoder was a third of a what-if's time)."""

        def wrap(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
            def work(*args: Any, **kwargs: Any) -> Any:
                result = fn(*args, **kwargs)
                if isinstance(result, dict | list):
                    try:
                        return JSONResponse(result, status_code=status)
                    except (TypeError, ValueError):  # pragma: no cover - not plain JSON data
                        return result  # FastAPI encodes it
                return result

            @functools.wraps(fn)
            async def endpoint(*args: Any, **kwargs: Any) -> Any:
                return await gate.run(functools.partial(work, *args, **kwargs))

            return endpoint

        return wrap

    app = FastAPI(
        title="detente explorer",
        version=__version__,
        description="Scenarios, worldviews, forecasts, strategies and cruxes of detente.",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.jobs = jobs
    app.state.gate = gate
    app.state.documents = documents
    app.state.limits = limits

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
        response = problem(429, "Too many requests", f"{exc}; try again later")
        response.headers["retry-after"] = str(exc.retry_after)
        return response

    @app.exception_handler(Busy)
    async def _busy(_: Request, exc: Busy) -> Response:
        title = "Too many requests" if exc.status == 429 else "Busy"
        response = problem(exc.status, title, f"{exc.detail}; try again later")
        response.headers["retry-after"] = str(exc.retry_after)
        return response

    @app.exception_handler(TooCostly)
    async def _costly(_: Request, exc: TooCostly) -> Response:
        title = "Request too large" if exc.status == 413 else "Request too costly"
        return problem(
            exc.status, title, exc.detail, limit=exc.limit, value=exc.value, maximum=exc.maximum
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "Internal error", "an unexpected error occurred (logged on the server)")

    # ---- helpers --------------------------------------------------------------------------

    def checked(text: str, name: str, *, stored: bool = False) -> whatif.Checked:
        """``text`` read and validated, from the cache when it was seen (InputError when it
        cannot be read; TooCostly when it is too large to read or compute with — the size of
        the text is not bounded for a file of the folder, the operator's)."""
        if not stored:
            check_text_cost(text, limits)
        doc = documents.get(text, name)
        check_size(doc.parsed.raw, limits)
        return doc

    def load_checked(ref: DocumentRef) -> whatif.Checked:
        """The document, read and valid (raises InputError / Unknown... / TooCostly)."""
        if (ref.scenario is None) == (ref.yaml is None):
            raise InputError.single("request", "give exactly one of `scenario` and `yaml`")
        if ref.scenario is not None:
            stored = store.get(ref.scenario)
            if stored.error is not None:
                raise stored.error
            assert stored.checked is not None
            doc = stored.checked
            check_size(doc.parsed.raw, limits)
        else:
            assert ref.yaml is not None
            doc = checked(ref.yaml, ref.name or "edited.yaml")
        if doc.loaded is None:
            raise InputError(doc.diagnostics)
        return doc

    def load(ref: DocumentRef) -> tuple[str, LoadedScenario]:
        """The document's text and validated scenario (raises InputError / Unknown...)."""
        doc = load_checked(ref)
        assert doc.loaded is not None
        return doc.parsed.text, doc.loaded

    def check_model(model: str) -> None:
        known = available_models()
        if model not in known:
            raise InputError.single(
                "request", f"unknown model {model!r} (expected one of: {', '.join(known)})"
            )

    def document(
        text: str,
        name: str,
        worldview: str | None,
        doc: whatif.Checked | None = None,
        *,
        stored: bool = False,
    ) -> dict[str, Any]:
        if doc is None:
            try:
                doc = checked(text, name, stored=stored)
            except InputError as exc:
                doc = None
                loaded, diags = None, exc.diagnostics
        if doc is not None:
            loaded, diags = doc.loaded, doc.diagnostics
        view = None
        if loaded is not None:
            assert doc is not None
            try:
                view = service.scenario_view(loaded, worldview, doc.scenario(worldview))
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
            try:
                stored = store.get(name)
            except UnknownScenarioError:  # removed since it was listed
                continue
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
        assert stored.loaded is not None and stored.checked is not None
        sc = stored.checked.scenario(worldview)  # unknown worldview: 422
        view = service.scenario_view(stored.loaded, worldview, sc)
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
    @cpu()
    def validate(ref: DocumentRef) -> dict[str, Any]:
        """Validate a document as ``detente validate`` does: located diagnostics, and its view."""
        if ref.yaml is None:
            doc = load_checked(ref)
            return document(doc.parsed.text, doc.parsed.name, ref.worldview, doc)
        return document(ref.yaml, ref.name or "edited.yaml", ref.worldview)

    @app.post("/api/edit", tags=["what-if"])
    @cpu()
    def edit(req: EditRequest) -> dict[str, Any]:
        """Set values or distributions at scenario paths (as a worldview override when a
        worldview is given), then validate the edited document as the CLI would. Only the
        edited values' text changes (comments and layout are kept), and the edited document
        is validated incrementally against the one it comes from (the same answer as a full
        validation: docs/web.md)."""
        if req.yaml is not None:
            text, name = req.yaml, req.name or "edited.yaml"
        else:
            if req.scenario is None:
                raise InputError.single("request", "give exactly one of `scenario` and `yaml`")
            stored = store.get(req.scenario)
            text, name = stored.text, f"{req.scenario}.yaml"
        edits = [(e.path, e.value) for e in req.edits]
        try:
            base = checked(text, name, stored=req.yaml is None)
            new = whatif.apply_edits(base, edits, req.worldview, service.MAX_EDITS)
        except InputError as exc:
            out = document(text, name, req.worldview, None, stored=req.yaml is None)
            out["applied"] = False
            out["diagnostics"] = service.diagnostics_json(exc.diagnostics) + out["diagnostics"]
            return out
        check_size(new.parsed.raw, limits)
        documents.put(new)
        out = document(new.parsed.text, name, req.worldview, new)
        out["applied"] = True
        return out

    @app.post("/api/upload", tags=["what-if"])
    async def upload(
        file: Annotated[UploadFile, File(description="a scenario YAML file")],
    ) -> dict[str, Any]:
        """Upload a scenario file (kept in the page, not stored): located errors, or its view."""
        data = await file.read(limits.body_bytes + 1)
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
        return await gate.run(lambda: document(text, name, None))

    @app.post("/api/forecast", tags=["forecasts"])
    @cpu()
    def forecast(req: ForecastRequest) -> dict[str, Any]:
        """Point forecasts (distributions at their means) of each model, with rounds."""
        doc = load_checked(req)
        text = doc.parsed.text
        models = req.models if req.models is not None else available_models()
        for m in models:
            check_model(m)
        sc = doc.scenario(req.worldview)
        return {
            "scenario": sc.id,
            "worldview": req.worldview,
            "sha256": service.text_hash(text),
            "forecasts": service.run_forecasts(sc, models),
        }

    @app.post("/api/cruxes", tags=["analysis"])
    @cpu()
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
    @cpu(202)
    def submit_job(req: JobRequest) -> dict[str, Any]:
        """Start a long run (Monte Carlo, strategies, sensitivity, the hindcast against the
        scenario's record, the scorecards' rankings) in the background; poll ``/api/jobs/{id}``.
        The same question (scenario hash, kind, model, parameters, seed) is answered once.
        A job too large (draws x uncertain numbers, episodes x strategies) is refused (422);
        a client with too many jobs, or a full queue, gets 429 with Retry-After."""
        doc = load_checked(req)
        assert doc.loaded is not None
        text, loaded = doc.parsed.text, doc.loaded
        digest = service.text_hash(text)
        client = CLIENT.get()
        if req.kind in ("hindcast", "scorecards"):
            return record_job(req, loaded, digest, client)
        # a dated worldview's game starts from the record's history, read from the folder
        sc = service.game_scenario(loaded, req.worldview, store.folder, doc.scenario(req.worldview))
        if req.kind == "montecarlo":
            check_model(req.model)
            service.check_monte_carlo_size(sc, req.draws, limits)
            key = service.cache_key(
                digest, req.worldview, "montecarlo", req.model, req.draws, req.seed
            )
            model, draws, seed = req.model, req.draws, req.seed
            job = jobs.submit(
                "montecarlo",
                key,
                lambda progress: service.monte_carlo(sc, model, draws, seed, progress),
                client,
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
            job = jobs.submit("sensitivity", key, run, client)
        else:
            if sc.game is None:
                raise InputError.single(
                    loaded.file, "the scenario has no `game:` section", field="game"
                )
            service.check_strategies_size(sc, req.episodes, limits)
            key = service.cache_key(digest, req.worldview, "strategies", req.episodes, req.seed)
            episodes, seed = req.episodes, req.seed
            job = jobs.submit(
                "strategies",
                key,
                lambda progress: service.strategies(sc, seed, episodes, progress),
                client,
            )
        return job.to_json()

    def record_job(
        req: JobRequest, loaded: LoadedScenario, digest: str, client: str
    ) -> dict[str, Any]:
        """A hindcast or scorecards job: checked (a scenario without the sections, or a job too
        large, is a 422 before any work), then queued; the same question is answered once."""
        episodes, seed = req.episodes, req.seed
        if req.kind == "hindcast":
            ready = service.check_hindcast(loaded, episodes, limits, store.folder)
            work = functools.partial(service.hindcast, ready, seed, episodes)
        else:
            ready = service.check_scorecards(loaded, episodes, limits, store.folder)
            work = functools.partial(service.scorecards, ready, seed, episodes)
        key = service.cache_key(digest, None, req.kind, episodes, seed)
        return jobs.submit(req.kind, key, work, client).to_json()

    @app.post("/api/panel", tags=["analysis"], status_code=202)
    @cpu(202)
    def submit_panel(req: PanelRequest) -> dict[str, Any]:
        """Start the crux panel of two worldviews in the background (a job; poll
        ``/api/jobs/{id}``): on each scorecard, the strategy each reading chooses, the values at
        which that choice changes, and the Shapley shares of the gap between the readings, in
        the report's sentences, each named judgment with both readings' quotes. A scenario
        without scorecards or two worldviews, or a panel over the ``panel_*`` limits, is refused
        (422) before any work; a client with too many jobs, or a full queue, gets 429."""
        doc = load_checked(req)
        assert doc.loaded is not None
        q = service.check_panel(
            doc.loaded,
            req.worldviews,
            req.scorecards,
            req.episodes,
            req.max_evaluations,
            req.seed,
            limits,
            store.folder,
        )
        key = service.cache_key(
            service.text_hash(doc.parsed.text),
            None,
            "panel",
            q.a,
            q.b,
            q.scorecards,
            q.episodes,
            q.max_evaluations,
            q.seed,
        )
        work = functools.partial(service.crux_panel, q)
        return jobs.submit("panel", key, work, CLIENT.get()).to_json()

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

    app.add_middleware(BodyLimit, limit=limits.body_bytes)
    app.add_middleware(HostCheck, hosts=hosts)
    app.add_middleware(SecurityHeaders)  # added last: outermost
    return app
