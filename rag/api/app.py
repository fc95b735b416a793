"""The HTTP API: routes, error mapping, and engines per model spec (built once, then shared).

``create_app`` takes an engine, or a function that builds the engine for a model spec, so
tests pass an engine on a scripted chat model and ``python -m rag serve`` passes the real one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from rag import ui
from rag.api import openai_format as oa
from rag.api.guards import Admission, Guard
from rag.config import Settings
from rag.engine import AnswerStream, Engine
from rag.errors import (
    ConfigError,
    InputError,
    ModelError,
    RagError,
    StoreError,
    UnknownSpecError,
)
from rag.ingest import MAX_FILE_BYTES
from rag.llms import canonical
from rag.store import ReportStore

DEFAULT_MODEL = "rag"  # what clients may send for "the server's default model"


class ApiError(Exception):
    """An error with its HTTP status; the message says what to fix."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


def status_of(exc: RagError) -> tuple[int, str]:
    """The HTTP status for a project error: bad input 422, unavailable model or store 503."""
    if isinstance(exc, UnknownSpecError):
        return 404, "model_not_found"
    if isinstance(exc, InputError):
        return 422, "invalid_request_error"
    if isinstance(exc, (ModelError, ConfigError, StoreError)):
        return 503, "service_unavailable"
    return 500, "server_error"


class Engines:
    """The engine for each offered model spec, built on first use and kept."""

    def __init__(self, build: Callable[[str], Engine], default: str, offered: list[str]) -> None:
        self.build, self.default = build, default
        self.offered = list(dict.fromkeys([default, *offered]))
        self._built: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def spec_for(self, model: str | None) -> str:
        model = (model or "").strip()
        if model in ("", DEFAULT_MODEL):
            return self.default
        spec = canonical(model)
        if spec not in self.offered:
            raise ApiError(404, f"Unknown model {model!r}. Use one of: "
                                f"{', '.join([DEFAULT_MODEL, *self.offered])} (GET /v1/models).",
                           "model_not_found")
        return spec

    def get(self, model: str | None) -> Engine:
        spec = self.spec_for(model)
        engine = self._built.get(spec)
        if engine is not None:
            return engine
        with self._lock:  # one build per spec, even when requests arrive together
            if spec not in self._built:
                self._built[spec] = self.build(spec)
            return self._built[spec]


def _offered(settings: Settings) -> list[str]:
    return [c.spec for c in ui.model_choices(settings) if c.available]


def create_app(engine: Engine | Callable[[str], Engine], settings: Settings | None = None,
               store: ReportStore | None = None, offered: list[str] | None = None) -> Guard:
    """The API over one engine (it serves its own model), or over ``engine(spec)`` for each
    offered spec (default: the usable models the app offers; ``settings.llm`` first).

    Returns the ASGI app (the FastAPI app inside the API-key and body-size guard)."""
    if isinstance(engine, Engine):
        settings, store = settings or engine.settings, store or engine.store
        built = engine
        engines = Engines(lambda spec: built, engine.model_name, offered or [])
    else:
        if settings is None or store is None:
            raise ConfigError("create_app(factory) needs settings and the store.")
        engines = Engines(engine, canonical(settings.llm),
                          offered if offered is not None else _offered(settings))
    admission = Admission(settings.api_max_queue)
    app = FastAPI(title="Reports chat API", version="1",
                  description="Answers about news reports, every quote verified.")
    app.state.engines, app.state.admission = engines, admission
    _error_handlers(app)
    _answer_routes(app, engines, admission, store)
    _report_routes(app, store, settings)
    return Guard(app, settings.api_key)


def _fail(status: int, message: str, kind: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"error": {"message": message, "type": kind, "code": status}})


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        if err.get("type") == "json_invalid":
            return (f"The request body is not valid JSON "
                    f"({err.get('ctx', {}).get('error', 'parse error')}); send a JSON object.")
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        problems.append(f"{where}: {err.get('msg')}")
    return "Invalid request: " + "; ".join(problems) + "."


def _error_handlers(app: FastAPI) -> None:
    """Every error as ``{"error": {"message", "type", "code"}}`` (the OpenAI shape)."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _fail(exc.status, str(exc), exc.kind,
                     {"Retry-After": "2"} if exc.status == 429 else None)

    @app.exception_handler(RagError)
    async def _rag_error(request: Request, exc: RagError) -> JSONResponse:
        status, kind = status_of(exc)
        return _fail(status, str(exc), kind)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _fail(422, _validation_message(exc), "invalid_request_error")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _fail(500, f"Unexpected server error ({type(exc).__name__}: {exc}); the server "
                          f"keeps running. Try again, and report it if it repeats.",
                     "server_error")


def _answer_routes(app: FastAPI, engines: Engines, admission: Admission,
                   store: ReportStore) -> None:
    """Questions (each admitted by the bounded queue), models and health."""

    def admitted() -> None:
        if not admission.try_enter():
            raise ApiError(429, f"The server is busy: {admission.size} questions are being "
                                f"answered or waiting (RAG_API_MAX_QUEUE). Retry shortly.",
                           "rate_limit_exceeded")

    def answer(model: str, question: str, history: list | None, k: int | None,
               sources: list[str] | None) -> Any:
        admitted()
        try:
            return engines.get(model).answer(question, history, k=k, sources=sources)
        finally:
            admission.leave()

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "reports": len(store.sources()),
                "default_model": engines.default, "queue": admission.size}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        ids = [DEFAULT_MODEL, *engines.offered]
        return {"object": "list", "data": [{"id": i, "object": "model", "created": 0,
                                            "owned_by": "rag"} for i in ids]}

    @app.post("/ask")
    def ask(body: oa.AskRequest) -> dict[str, Any]:
        """Exactly the ``python -m rag ask --json`` object."""
        return answer(body.model, body.question, body.history, body.k, body.sources).to_json()

    @app.post("/v1/chat/completions")
    async def chat(body: oa.ChatRequest):
        question, history = oa.split_messages(body.messages)
        model = body.model or DEFAULT_MODEL
        if not body.stream:
            result = await run_in_threadpool(answer, body.model, question, history, body.k,
                                             body.sources)
            return oa.completion(result, model)
        admitted()
        try:
            engine = await run_in_threadpool(engines.get, body.model)
            stream = engine.stream(question, history, k=body.k, sources=body.sources)
            pieces = iter(stream)
            first = await run_in_threadpool(next, pieces, None)  # errors before any text
        except BaseException:                                    # get a status of their own
            admission.leave()
            raise
        return StreamingResponse(_events(stream, pieces, first, oa.ChunkWriter(model),
                                         admission.leave), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})


def _report_routes(app: FastAPI, store: ReportStore, settings: Settings) -> None:
    """The collection: list (searchable, paged), upload (the app's caps), remove."""

    @app.get("/reports")
    def reports(search: str = "", limit: int | None = None, offset: int = 0) -> dict[str, Any]:
        everything = store.sources()
        total, found = ui.find_reports(everything, search, len(everything))
        page = found[offset:offset + limit if limit is not None else None]
        return {"total": total, "reports": [
            {"source": s.source, "title": s.title, "publisher": s.publisher,
             "chunks": s.chunks} for s in page]}

    @app.post("/reports")
    def upload(files: Annotated[list[UploadFile], File()]) -> dict[str, Any]:
        loaded = []
        for f in files:
            data = f.file.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise ApiError(413, f"{f.filename}: over the {MAX_FILE_BYTES / 1e6:.0f} MB "
                                    f"limit per report; split it or trim it.",
                               "request_too_large")
            loaded.append((f.filename or "report.txt", data))
        summary = ui.index_uploads(store, settings, loaded)
        return {"added": summary.added, "updated": summary.updated,
                "unchanged": summary.unchanged,
                "skipped": [{"file": p, "reason": r} for p, r in summary.skipped]}

    @app.delete("/reports/{source}")
    def remove(source: str) -> dict[str, Any]:
        if store.source_info(source) is None:
            raise ApiError(404, f"No indexed report is called {source!r}; GET /reports lists "
                                f"them.", "not_found")
        return {"removed": source, "chunks": ui.remove_report(store, settings, source)}


async def _events(stream: AnswerStream, pieces: Iterator[str], first: str | None,
                  writer: oa.ChunkWriter, done: Callable[[], None]):
    """The SSE body: text as it is generated, then sources and the citations as data."""
    streamed = ""
    try:
        yield writer.text(first or "", first=True)
        streamed += first or ""
        try:
            async for piece in iterate_in_threadpool(pieces):
                streamed += piece
                yield writer.text(piece)
        except Exception as exc:  # the status line is sent: the error goes in the stream
            kind = status_of(exc)[1] if isinstance(exc, RagError) else "server_error"
            yield writer.error(str(exc), kind)
            return
        if stream.answer is not None:
            for event in writer.ending(stream.answer, streamed):
                yield event
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            try:
                close()  # a client that left mid-answer frees the model for the next one
            except ValueError:
                pass
        done()


__all__ = ["ApiError", "Engines", "create_app"]
