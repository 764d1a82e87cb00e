"""The ASGI application: a JSON API (FastAPI, OpenAPI schema at ``/openapi.json``) and the page."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..exceptions import ClassicxError
from ._images import ImageTooLarge, UnsupportedImage
from ._limits import Limits
from ._model import NoImageSource, ServedModel, UnknownItem

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_STATIC_FILES = {"app.js": "text/javascript", "style.css": "text/css"}
# The page loads nothing from elsewhere; the browser is told so.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# ------------------------------------------------------------------ schemas
class TextQuery(BaseModel):
    """A text query: the gallery images best matching ``text``."""

    text: str = Field(description="the query sentence", examples=["a red circle on a striped background"])
    k: int = Field(10, description="how many results (at most the service's max_k)")


class GalleryImageQuery(BaseModel):
    """A gallery image as the query: the gallery texts best matching it."""

    id: str = Field(description="id of a gallery image")
    k: int = Field(10, description="how many results (at most the service's max_k)")


class Hit(BaseModel):
    """One result. Image hits carry ``description`` and ``thumbnail_url``; text hits ``text``."""

    rank: int = Field(description="1 for the best match")
    id: str
    score: float | None = Field(description="similarity to the query, higher is better")
    modality: Literal["image", "text"]
    label: int | list[int] | None = Field(None, description="category index (a list for multi-label items)")
    label_name: str | list[str] | None = None
    description: str | None = Field(None, description="how the image is described (image hits)")
    thumbnail_url: str | None = Field(None, description="its thumbnail, when the service has the image's pixels")
    text: str | None = Field(None, description="the text, cut at 600 characters (text hits)")
    truncated: bool | None = Field(None, description="whether `text` was cut; the item has it whole")


class SearchResults(BaseModel):
    target: Literal["images", "texts"]
    k: int
    hits: list[Hit]


class ImageItem(BaseModel):
    id: str
    label: int | list[int] | None
    label_name: str | list[str] | None
    description: str
    thumbnail_url: str | None


class TextItem(BaseModel):
    id: str
    label: int | list[int] | None
    label_name: str | list[str] | None
    text: str
    truncated: bool


class Item(BaseModel):
    """A gallery pair by id: its image, its text, or both."""

    id: str
    image: ImageItem | None
    text: TextItem | None


class Health(BaseModel):
    status: Literal["ok"]
    n_images: int
    n_texts: int


class Error(BaseModel):
    """Every error answer: a status and a message saying what was wrong."""

    status: int
    detail: str


_ERRORS = {
    404: {"model": Error, "description": "unknown id"},
    413: {"model": Error, "description": "upload or image too large"},
    415: {"model": Error, "description": "not a supported image"},
    422: {"model": Error, "description": "invalid query"},
}


# ------------------------------------------------------------------ helpers
def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"status": status, "detail": detail}, status_code=status)


def _status_for(exc: ClassicxError) -> int:
    if isinstance(exc, (UnknownItem, NoImageSource)):
        return 404
    if isinstance(exc, ImageTooLarge):
        return 413
    if isinstance(exc, UnsupportedImage):
        return 415
    return 422


def _results(target: str, k: int, hits: list[dict]) -> JSONResponse:
    """A search answer, encoded directly.

    The hits already have the fields of :class:`Hit`, in its order (see
    ``ServedModel._hits``); FastAPI's validation and serialization of the
    response model on every answer cost more than the JSON encoding itself.
    The response model stays declared on each route for the OpenAPI schema,
    and the API tests check answers against it.
    """
    return JSONResponse({"target": target, "k": k, "hits": hits})


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form"))
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class _BodyLimit:
    """Refuse request bodies above ``limit`` bytes with 413, before any parsing.

    A declared Content-Length above the limit is refused at once; otherwise
    the body is read (at most ``limit`` bytes kept) and replayed to the app.
    """

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: dict, receive: Any, send: Any) -> None:
        # Built when needed only: a response object per accepted request was measurable at 50 clients.
        await _error(413, f"the request body is larger than {self.limit:,} bytes")(scope, receive, send)


class _TextQueryFastPath:
    """Answer well-formed text queries before FastAPI's routing; hand everything else to it.

    A text query is the service's most frequent request and its cheapest:
    FastAPI's routing, dependency solving and request object cost 0.17 ms of
    the 0.24 ms its stack spent per text query (measured through the ASGI
    interface with the search stubbed out), a fifth of the server's CPU per
    query at 50 clients. Here the body is parsed with ``json.loads`` and
    checked by the route's own :class:`TextQuery` model in Python mode, as
    FastAPI does, and the answer is the route's own. Whatever is not a
    well-formed query whose search succeeds (another content type, invalid
    JSON or fields, a refused query) goes to the FastAPI route with its body,
    so that every error keeps one path and one message.
    """

    path = "/api/search/text"

    def __init__(self, app: Any, served: ServedModel) -> None:
        self.app = app
        self.served = served

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        message = await receive()
        body = message.get("body", b"")
        if message["type"] == "http.request" and not message.get("more_body", False):
            answer = await self._answer(scope, body)
            if answer is not None:
                await answer(scope, receive, send)
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return message
            return await receive()

        await self.app(scope, replay, send)

    async def _answer(self, scope: dict, body: bytes) -> JSONResponse | None:
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        if content_type.split(b";")[0].strip().lower() != b"application/json":
            return None
        try:
            query = TextQuery.model_validate(json.loads(body))
            hits = await self.served.submit_text_async(query.text, query.k)
        except Exception:  # noqa: BLE001 - the FastAPI route answers it, with its message
            return None
        return _results("images", query.k, hits)


async def _read_upload(upload: UploadFile, limits: Limits) -> bytes:
    data = await upload.read(limits.max_upload_bytes + 1)
    if len(data) > limits.max_upload_bytes:
        raise ImageTooLarge(f"the uploaded file is larger than {limits.max_upload_bytes:,} bytes")
    return data


# ------------------------------------------------------------------ the app
def create_app(
    model: Any,
    *,
    images: Sequence[Any] | None = None,
    image_root: str | os.PathLike | None = None,
    label_names: Sequence[str] | None = None,
    report: dict | None = None,
    limits: Limits | None = None,
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """The search service around one fitted retriever.

    Parameters
    ----------
    model : fitted CrossModalRetriever
        Shared by all requests and used read-only.
    images : sequence, optional
        The gallery images, aligned with ``model.image_ids_`` (thumbnails and
        gallery-image queries come from them).
    image_root : path, optional
        Without ``images``: serve gallery images whose recorded path lies
        inside this directory. No path from a request is ever opened.
    label_names : sequence of str, optional
        Names of the label indices.
    report : dict, optional
        The model's recorded evaluation (``RetrievalReport.to_dict()``), shown
        on the page next to the chance level.
    limits : Limits, optional
        Bounds on ``k``, uploads, pixels and query length.
    cors_origins : sequence of str, default=()
        Origins allowed to call the API from a browser page of theirs; none
        by default (CORS off).

    Returns
    -------
    fastapi.FastAPI

    See Also
    --------
    classicx.serve.Limits, classicx.serve.fused_search

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> from classicx import CrossModalRetriever, datasets
    >>> from classicx.serve import create_app
    >>> data = datasets.load_synthetic(n_train=120, n_test=40, random_state=0)
    >>> model = CrossModalRetriever(verbose=False, random_state=0)
    >>> model = model.fit(data.train.images, data.train.texts, labels=data.train.labels)
    >>> client = TestClient(create_app(model, images=data.train.images))
    >>> client.get("/api/health").json()["status"]
    'ok'
    >>> hits = client.post("/api/search/text", json={"text": "a red circle", "k": 3}).json()["hits"]
    >>> [hit["rank"] for hit in hits]
    [1, 2, 3]
    """
    from .._version import __version__

    served = ServedModel(
        model, images=images, image_root=image_root, label_names=label_names, report=report, limits=limits
    )
    limits = served.limits
    app = FastAPI(
        title="classicx search service",
        version=__version__,
        description="Image↔text retrieval with a fitted classicx model: text → images, image → texts, "
        "and fused text+image queries. Errors are JSON objects `{status, detail}`.",
        # The interactive docs pages load their scripts from a CDN; the schema itself is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.served = served

    @app.exception_handler(ClassicxError)
    async def _classicx_error(request: Request, exc: ClassicxError) -> JSONResponse:
        return _error(_status_for(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged here with its traceback; the client gets a message, never the traceback.
        logger.exception("unexpected error answering %s %s", request.method, request.url.path)
        return _error(500, "internal error while answering this request (see the server's log)")

    @app.get("/api/health", response_model=Health, tags=["service"])
    def health() -> dict:
        """Whether the service is up, and the gallery's size."""
        return {"status": "ok", "n_images": served.n_images, "n_texts": served.n_texts}

    @app.get("/api/info", tags=["service"])
    def info() -> dict:
        """The model: gallery sizes, stages, label names, chance level, recorded MAP, limits."""
        return served.info()

    @app.post("/api/search/text", response_model=SearchResults, responses=_ERRORS, tags=["search"])
    async def search_text(query: TextQuery) -> JSONResponse:
        """Text → images: the gallery images best matching a sentence."""
        # Waits without holding a thread; concurrent text queries are answered in one batch.
        return _results("images", query.k, await served.submit_text_async(query.text, query.k))

    @app.post("/api/search/image", response_model=SearchResults, responses=_ERRORS, tags=["search"])
    async def search_image(
        file: Annotated[UploadFile, File(description="a JPEG, PNG, WebP or BMP image (its content is checked)")],
        k: Annotated[int, Form()] = 10,
    ) -> JSONResponse:
        """Image → texts: the gallery texts best matching an uploaded image."""
        data = await _read_upload(file, limits)
        return _results("texts", k, await asyncio.wrap_future(served.submit_image_work(served.search_upload, data, k)))

    @app.post("/api/search/gallery-image", response_model=SearchResults, responses=_ERRORS, tags=["search"])
    async def search_gallery_image(query: GalleryImageQuery) -> JSONResponse:
        """Gallery image → texts: the gallery texts best matching one of the gallery's images."""
        work = served.submit_image_work(served.search_gallery_image, query.id, query.k)
        return _results("texts", query.k, await asyncio.wrap_future(work))

    @app.post("/api/search/fused", response_model=SearchResults, responses=_ERRORS, tags=["search"])
    async def search_fused(
        text: Annotated[str | None, Form(description="the text part of the query")] = None,
        file: Annotated[UploadFile | None, File(description="the image part: an uploaded image ...")] = None,
        image_id: Annotated[str | None, Form(description="... or the id of a gallery image")] = None,
        weight: Annotated[
            float, Form(ge=0.0, le=1.0, description="the image's share: 0 = text only, 1 = image only")
        ] = 0.5,
        target: Annotated[Literal["images", "texts"], Form(description="which gallery to rank")] = "images",
        k: Annotated[int, Form()] = 10,
    ) -> JSONResponse:
        """Text + image → images or texts: one query fused in the shared space."""
        upload = None if file is None else await _read_upload(file, limits)
        work = served.submit_image_work(
            served.search_fused,
            text=text or None, upload=upload, image_id=image_id or None, weight=weight, target=target, k=k,
        )
        return _results(target, k, await asyncio.wrap_future(work))

    @app.get("/api/items/{item_id}", response_model=Item, responses=_ERRORS, tags=["gallery"])
    def item(item_id: str) -> dict:
        """A gallery pair by id: label, text, image description."""
        return served.item(item_id)

    @app.get(
        "/api/thumbnails/{item_id}",
        responses={200: {"content": {"image/jpeg": {}}}, **_ERRORS},
        response_class=Response,
        tags=["gallery"],
    )
    async def thumbnail(item_id: str) -> Response:
        """A JPEG thumbnail of a gallery image, by its id (never by a path)."""
        return Response(
            await asyncio.wrap_future(served.submit_image_work(served.thumbnail, item_id)),
            media_type="image/jpeg",
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    static = resources.files("classicx.serve") / "static"

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        return Response((static / "index.html").read_bytes(), media_type="text/html", headers=_PAGE_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str) -> Response:
        # A fixed list of names: the request never picks a path.
        if name not in _STATIC_FILES:
            return _error(404, f"no static file {name!r}")
        return Response((static / name).read_bytes(), media_type=_STATIC_FILES[name], headers=_PAGE_HEADERS)

    # The last added runs first: the body limit, then CORS (its headers on every answer, the fast
    # path's included), then the text fast path, then FastAPI's routing.
    app.add_middleware(_TextQueryFastPath, served=served)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"])
    app.add_middleware(_BodyLimit, limit=limits.max_body_bytes)
    return app
